using ChatRoom.Auth;
using ChatRoom.Client;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

/// <summary>
/// Redis goes away under two running nodes: they refuse what they cannot store (never an ok for it), and when Redis
/// returns they carry on by themselves, with the same sessions, delivering across nodes again.
/// </summary>
public sealed class RedisOutageTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly ClusterHarness _cluster = new(redis);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (!redis.IsRunning)
        {
            await redis.StartAsync();
        }

        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task While_Redis_is_down_messages_and_logins_are_refused_with_server_error_and_afterwards_they_flow_again()
    {
        var a = await _cluster.StartNodeAsync("node-a");
        var b = await _cluster.StartNodeAsync("node-b");
        var (seas, _) = await _cluster.LoginAsync(a, "seas");
        var (_, columbiaNotices) = await _cluster.LoginAsync(b, "columbia");
        Assert.Equal(SendOutcome.Delivered, (await seas.SendAsync("columbia", "before")).Outcome);

        redis.Stop();

        var refused = await Assert.ThrowsAsync<ChatProtocolException>(() => seas.SendAsync("columbia", "during"));
        Assert.Contains("server-error", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ChatProtocolException>(() => seas.BroadcastAsync("during"));
        await using (var late = await _cluster.ConnectAsync(a))
        {
            Assert.IsNotType<LoginSuccess>(await late.LoginAsync("foobar", ClusterHarness.Passwords["foobar"]));
        }

        await redis.StartAsync();

        // The nodes reconnect by themselves; the first send that finds Redis back is stored and delivered live.
        SendReceipt? after = null;
        for (var attempt = 0; after is null; attempt++)
        {
            Assert.True(attempt < 100, "the nodes did not recover within 20 s of Redis returning");
            try
            {
                after = await seas.SendAsync("columbia", "after");
            }
            catch (ChatProtocolException)
            {
                await Task.Delay(200);
            }
        }

        // Delivered, or queued when the receiving node has not resubscribed yet: it reads the store when it has.
        Assert.Contains(after.Outcome, new[] { SendOutcome.Delivered, SendOutcome.Queued });
        var shown = await columbiaNotices.WaitForCountAsync<MessageNotice>(2);
        Assert.Equal(["before", "after"], shown.Select(m => m.Message.Text));
        var (_, foobarNotices) = await _cluster.LoginAsync(b, "foobar");
        Assert.Equal(SendOutcome.Delivered, (await seas.SendAsync("foobar", "hello again")).Outcome);
        Assert.Equal("hello again", (await foobarNotices.WaitForAsync<MessageNotice>()).Message.Text);
    }
}
