using ChatRoom.Presence;
using ChatRoom.Server;
using ChatRoom.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace ChatRoom.Networking.Tests.Server;

public sealed class StoreFailureLogTests
{
    [Fact]
    public void The_first_store_failure_is_logged_then_one_per_ten_seconds_with_the_count_of_the_rest()
    {
        var time = new FakeTimeProvider();
        var log = new StoreFailureLog(time);

        Assert.True(log.ShouldLog(out var first));
        Assert.Equal(0, first);
        for (var i = 0; i < 1000; i++)
        {
            Assert.False(log.ShouldLog(out _));
        }

        time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.False(log.ShouldLog(out _));

        time.Advance(TimeSpan.FromTicks(1));
        Assert.True(log.ShouldLog(out var counted));
        Assert.Equal(1001, counted);
        Assert.False(log.ShouldLog(out _));
    }

    [Fact]
    public async Task A_sweep_that_cannot_reach_the_store_each_second_is_logged_once_then_once_per_ten_seconds_with_the_count()
    {
        var presence = Substitute.For<IPresenceService>();
        presence.SweepAsync(default).ReturnsForAnyArgs(_ => ValueTask.FromException<IReadOnlyList<SessionInfo>>(new ChatStoreException("redis 127.0.0.1:6379", "could not reach Redis")));
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton(presence));
        const string Line = "Presence sweep failed: the store could not be reached";

        for (var round = 1; round <= 10; round++)
        {
            server.Time.Advance(TimeSpan.FromSeconds(1));
            await WaitForSweepsAsync(presence, round);
        }

        // Round 1 (at 1 s) is logged; rounds 2 to 10 come within ten seconds of it and are only counted.
        await server.Logs.WaitForAsync(Line);
        Assert.Single(server.Logs.Lines, l => l.Contains(Line, StringComparison.Ordinal));

        server.Time.Advance(TimeSpan.FromSeconds(1));
        await WaitForSweepsAsync(presence, 11);
        await server.Logs.WaitForAsync(Line, 2);
        Assert.Contains(server.Logs.Lines, l => l.Contains("(9 more such failures", StringComparison.Ordinal));
        Assert.Equal(2, server.Logs.Lines.Count(l => l.Contains("Presence sweep failed", StringComparison.Ordinal)));
    }

    private static async Task WaitForSweepsAsync(IPresenceService presence, int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (presence.ReceivedCalls().Count(c => c.GetMethodInfo().Name == nameof(IPresenceService.SweepAsync)) < count)
        {
            Assert.True(clock.Elapsed < TestServer.Wait, $"sweep {count} did not run");
            await Task.Delay(5);
        }
    }
}
