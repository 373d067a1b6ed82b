using ChatRoom.Auth;

namespace ChatRoom.Storage.Redis.Tests;

public sealed class LockoutRaceTests(RedisServer server) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Two_nodes_racing_to_update_the_same_lockout_state_never_both_win()
    {
        const int Rounds = 300;
        var prefix = RedisServer.NewKeyPrefix();
        using var nodeA = await server.ConnectAsync();
        using var nodeB = await server.ConnectAsync();
        var a = new RedisLockoutStore(nodeA, prefix);
        var b = new RedisLockoutStore(nodeB, prefix);
        var current = LockoutState.Clear;

        for (var round = 1; round <= Rounds; round++)
        {
            // Both read the same state and count one more failure, each with its own mark in LockedUntil.
            var fromA = new LockoutState(round, DateTimeOffset.UnixEpoch.AddTicks(round));
            var fromB = new LockoutState(round, DateTimeOffset.UnixEpoch.AddTicks(-round));
            var expected = current;
            var results = await Task.WhenAll(
                Task.Run(async () => await a.TryUpdateAsync("seas", expected, fromA)),
                Task.Run(async () => await b.TryUpdateAsync("seas", expected, fromB)));

            Assert.True(results[0] ^ results[1], $"round {round}: A {results[0]}, B {results[1]}");
            current = await a.GetAsync("seas");
            Assert.Equal(results[0] ? fromA : fromB, current);
            Assert.Equal(current, await b.GetAsync("seas"));
        }

        Assert.Equal(Rounds, (await b.GetAsync("seas")).Failures);
    }
}
