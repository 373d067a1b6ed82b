using ChatRoom.Auth;
using ChatRoom.Offline;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Tests;

/// <summary>The keys the package README (and docs/scale-out.md) list are the keys the stores write, with those types.</summary>
public sealed class KeyLayoutTests(RedisServer server) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task The_stores_write_exactly_the_documented_keys()
    {
        var prefix = RedisServer.NewKeyPrefix();
        using var redis = await server.ConnectAsync();
        IOfflineStore messages = new RedisOfflineStore(redis, prefix);
        await messages.AppendAsync("seas", Messages.To("seas", "hello"));
        await new RedisBlockListStore(redis, prefix).AddAsync("seas", "columbia");
        await new RedisLockoutStore(redis, prefix).TryUpdateAsync("from 10.0.0.1 seas", LockoutState.Clear, new LockoutState(1, null));
        var db = redis.GetDatabase();

        var keys = new List<(string Key, RedisType Type)>();
        await foreach (var key in redis.GetServer(redis.GetEndPoints()[0]).KeysAsync(pattern: prefix + "*"))
        {
            keys.Add((((string)key!)[prefix.Length..], await db.KeyTypeAsync(key)));
        }

        Assert.Equal(
            [("lockouts", RedisType.Hash), ("{seas}:blocks", RedisType.Set), ("{seas}:mbox", RedisType.Hash), ("{seas}:msgs", RedisType.Hash), ("{seas}:order", RedisType.SortedSet)],
            keys.OrderBy(k => k.Key, StringComparer.Ordinal));
        Assert.Equal(["bytes", "seq"], (await db.HashKeysAsync(prefix + "{seas}:mbox")).Select(f => (string)f!).Order(StringComparer.Ordinal));
        Assert.Equal("1||", (string?)await db.HashGetAsync(prefix + "lockouts", "from 10.0.0.1 seas"));
    }
}
