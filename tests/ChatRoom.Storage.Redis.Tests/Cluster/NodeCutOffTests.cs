using System.Diagnostics;
using ChatRoom.Client;
using ChatRoom.Protocol;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Xunit.Abstractions;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

/// <summary>
/// The network drops one node's link to Redis while the other nodes stay linked (docs/scale-out.md, "What each failure
/// does"): the cut node refuses what it cannot store; a short cut ends nobody's session and the messages sent meanwhile
/// follow once the link returns; a cut longer than the lease and its grace has the other nodes end the cut node's
/// sessions, which that node then closes itself, and nothing sent meanwhile is lost or handed over twice.
/// </summary>
public sealed class NodeCutOffTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly ClusterHarness _cluster = new(redis);
    private readonly RedisLink _link = new(redis.Port);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _link.DisposeAsync();
    }

    [Fact]
    public async Task A_cut_shorter_than_the_lease_refuses_commands_there_ends_no_session_and_hands_over_what_was_sent_meanwhile_once_back()
    {
        var lease = TimeSpan.FromSeconds(20);
        var a = await _cluster.StartNodeAsync("node-a", lease, link: _link);
        var b = await _cluster.StartNodeAsync("node-b", lease);
        var (seas, seasNotices) = await _cluster.LoginAsync(a, "seas");
        var (foobar, foobarNotices) = await _cluster.LoginAsync(a, "foobar");
        var (columbia, columbiaNotices) = await _cluster.LoginAsync(b, "columbia");
        var (_, googleNotices) = await _cluster.LoginAsync(b, "google");
        Assert.Equal(SendOutcome.Delivered, (await columbia.SendAsync("seas", "before")).Outcome);
        await seasNotices.WaitForAsync<MessageNotice>();
        await WaitNothingKeptAsync("seas"); // else the catch-up rightly hands "before" over again

        var cut = Stopwatch.StartNew();
        _link.Cut();

        // Each refusal takes the operation timeout (2 s here): both at once.
        var send = Assert.ThrowsAsync<ChatProtocolException>(() => seas.SendAsync("columbia", "from the cut node"));
        var broadcast = Assert.ThrowsAsync<ChatProtocolException>(() => foobar.BroadcastAsync("from the cut node"));
        Assert.Contains("server-error", (await send).Message, StringComparison.Ordinal);
        Assert.Contains("server-error", (await broadcast).Message, StringComparison.Ordinal);

        // Node B stores each message; node A does not listen, so each waits in Redis for seas's session to read it.
        var during = Enumerable.Range(0, 10).Select(i => $"during-{i}").ToList();
        foreach (var text in during)
        {
            Assert.Equal(SendOutcome.Queued, (await columbia.SendAsync("seas", text)).Outcome);
        }

        Assert.Single(seasNotices.Received.OfType<MessageNotice>());
        Assert.True(cut.Elapsed < lease, $"the cut lasted {cut.Elapsed}, not a short cut any more for a lease of {lease}");
        _link.Restore();

        // The catch-up re-reads the store: every message, in order, none twice.
        var shown = await seasNotices.WaitForCountAsync<MessageNotice>(1 + during.Count);
        Assert.Equal(["before", .. during], shown.Select(m => m.Message.Text));
        Assert.Equal(shown.Count, shown.Select(m => m.Message.Id).Distinct().Count());

        // The cut node serves again: its users' commands are stored and delivered.
        await SendOnceBackAsync(seas, "columbia", "after");
        Assert.Equal("after", (await columbiaNotices.WaitForAsync<MessageNotice>(m => m.Message.From == "seas")).Message.Text);

        // Nobody's session ended, on either node, and nobody was told anyone left. The node reads the store once more a
        // second after the link returns (RedisClusterNode): give it that second, so a second hand-over would show.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(0, seas.DuplicatesSuppressed);
        Assert.Equal(1 + during.Count, seasNotices.Received.OfType<MessageNotice>().Count());
        foreach (var notices in new[] { seasNotices, foobarNotices, columbiaNotices, googleNotices })
        {
            Assert.DoesNotContain(notices.Received, n => n is ByeNotice or DisplacedNotice or DisconnectedNotice || n is PresenceNotice { Online: false });
        }

        Assert.Equal(2, a.Sessions.Count);
        Assert.Equal(2, b.Sessions.Count);
        Assert.Equal(["columbia", "foobar", "google", "seas"], await columbia.GetOnlineUsersAsync());
        Assert.Equal(["columbia", "foobar", "google", "seas"], await foobar.GetOnlineUsersAsync());
    }

    [Fact]
    public async Task A_cut_longer_than_the_lease_and_its_grace_ends_the_cut_sessions_elsewhere_closes_them_there_when_back_and_loses_no_message()
    {
        var lease = TimeSpan.FromSeconds(1);
        var a = await _cluster.StartNodeAsync("node-a", lease, link: _link);
        var b = await _cluster.StartNodeAsync("node-b", lease);
        var c = await _cluster.StartNodeAsync("node-c", lease);
        var (_, seasOldNotices) = await _cluster.LoginAsync(a, "seas");
        var (_, foobarOldNotices) = await _cluster.LoginAsync(a, "foobar");
        var (columbia, columbiaNotices) = await _cluster.LoginAsync(b, "columbia");
        var (_, googleNotices) = await _cluster.LoginAsync(c, "google");

        var cut = Stopwatch.StartNew();
        _link.Cut();

        // Sent while the cut node's sessions still stand (queued for them) or already ended (kept for the next login).
        var toSeas = new List<string>();
        var toFoobar = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            toSeas.Add($"seas-{i}");
            toFoobar.Add($"foobar-{i}");
            Assert.Contains((await columbia.SendAsync("seas", toSeas[^1])).Outcome, new[] { SendOutcome.Queued, SendOutcome.StoredOffline });
            Assert.Contains((await columbia.SendAsync("foobar", toFoobar[^1])).Outcome, new[] { SendOutcome.Queued, SendOutcome.StoredOffline });
        }

        // The lease lapses and stays missing for its grace: the other nodes end the cut node's sessions and say so.
        foreach (var notices in new[] { columbiaNotices, googleNotices })
        {
            await notices.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: false });
            await notices.WaitForAsync<PresenceNotice>(p => p is { User: "foobar", Online: false });
        }

        Assert.True(cut.Elapsed >= lease, $"the sessions ended {cut.Elapsed} after the cut, before the lease of {lease} could lapse");
        for (var i = 5; i < 10; i++)
        {
            toSeas.Add($"seas-{i}");
            toFoobar.Add($"foobar-{i}");
            Assert.Equal(SendOutcome.StoredOffline, (await columbia.SendAsync("seas", toSeas[^1])).Outcome);
            Assert.Equal(SendOutcome.StoredOffline, (await columbia.SendAsync("foobar", toFoobar[^1])).Outcome);
        }

        // foobar's client gives up on the silent node and logs in on node C while node A is still cut off.
        var (foobarNew, foobarNewNotices) = await _cluster.LoginAsync(c, "foobar");
        var foobarShown = await foobarNewNotices.WaitForCountAsync<MessageNotice>(toFoobar.Count);
        Assert.Equal(toFoobar, foobarShown.Select(m => m.Message.Text));

        _link.Restore();

        // Node A checks its sessions against presence: seas's ended (expired), foobar's was taken over on node C.
        Assert.Equal("expired", (await seasOldNotices.WaitForAsync<ByeNotice>()).Reason);
        await seasOldNotices.WaitForAsync<DisconnectedNotice>();
        await foobarOldNotices.WaitForAsync<DisplacedNotice>();
        Assert.Equal("displaced", (await foobarOldNotices.WaitForAsync<DisconnectedNotice>()).Reason);
        Assert.Empty(seasOldNotices.Received.OfType<MessageNotice>());
        Assert.Empty(foobarOldNotices.Received.OfType<MessageNotice>());
        Assert.Equal(0, a.Sessions.Count);

        // seas logs in again on node B: every message sent meanwhile, in order, none twice.
        var (seasNew, seasNewNotices) = await _cluster.LoginAsync(b, "seas");
        var seasShown = await seasNewNotices.WaitForCountAsync<MessageNotice>(toSeas.Count);
        Assert.Equal(toSeas, seasShown.Select(m => m.Message.Text));

        // Node A is a member again: it takes a login and gets the messages for it.
        var (_, cseeNotices) = await _cluster.LoginAsync(a, "csee4119");
        Assert.Contains((await columbia.SendAsync("csee4119", "welcome back")).Outcome, new[] { SendOutcome.Delivered, SendOutcome.Queued });
        Assert.Equal("welcome back", (await cseeNotices.WaitForAsync<MessageNotice>()).Message.Text);

        // Nothing arrives twice, however long one waits (the cut node reads the store again a second after the link returns).
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(toSeas.Count, seasNewNotices.Received.OfType<MessageNotice>().Count());
        Assert.Equal(toFoobar.Count, foobarNewNotices.Received.OfType<MessageNotice>().Count());
        Assert.Equal(0, seasNew.DuplicatesSuppressed);
        Assert.Equal(0, foobarNew.DuplicatesSuppressed);
        await WaitNothingKeptAsync("seas", "foobar"); // each new session acknowledged what it was given: nothing stranded
        Assert.DoesNotContain(columbiaNotices.Received, n => n is ByeNotice or DisconnectedNotice);
        Assert.DoesNotContain(googleNotices.Received, n => n is ByeNotice or DisconnectedNotice);
    }

    [Fact]
    public async Task A_silent_link_shorter_than_the_lease_refuses_commands_there_ends_no_session_and_hands_over_what_was_sent_meanwhile_once_back()
    {
        // No reset tells either end: the cut node's client library sees only commands that go unanswered.
        var lease = TimeSpan.FromSeconds(20);
        var a = await _cluster.StartNodeAsync("node-a", lease, link: _link);
        var b = await _cluster.StartNodeAsync("node-b", lease);
        var (seas, seasNotices) = await _cluster.LoginAsync(a, "seas");
        var (columbia, columbiaNotices) = await _cluster.LoginAsync(b, "columbia");

        var frozen = Stopwatch.StartNew();
        _link.Freeze();

        // A send reads the block list before it appends: refused, it was never written, so it is never stored.
        var refused = await Assert.ThrowsAsync<ChatProtocolException>(() => seas.SendAsync("columbia", "refused"));
        Assert.Contains("server-error", refused.Message, StringComparison.Ordinal);

        // Redis still counts node A as listening, so node B may answer delivered: the signal waits in the network.
        var during = Enumerable.Range(0, 10).Select(i => $"during-{i}").ToList();
        foreach (var text in during)
        {
            Assert.Contains((await columbia.SendAsync("seas", text)).Outcome, new[] { SendOutcome.Delivered, SendOutcome.Queued });
        }

        Assert.True(frozen.Elapsed < lease, $"the silence lasted {frozen.Elapsed}, not shorter than the lease of {lease}");
        _link.Thaw();

        var shown = await seasNotices.WaitForCountAsync<MessageNotice>(during.Count);
        Assert.Equal(during, shown.Select(m => m.Message.Text));
        await SendOnceBackAsync(seas, "columbia", "after");
        await columbiaNotices.WaitForAsync<MessageNotice>(m => m.Message.Text == "after");
        Assert.Equal(["after"], columbiaNotices.Received.OfType<MessageNotice>().Select(m => m.Message.Text));
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // a second read of the store, if the library reconnected, would show by now
        Assert.Equal(during.Count, seasNotices.Received.OfType<MessageNotice>().Count());
        Assert.Equal(0, seas.DuplicatesSuppressed);
        foreach (var notices in new[] { seasNotices, columbiaNotices })
        {
            Assert.DoesNotContain(notices.Received, n => n is ByeNotice or DisplacedNotice or DisconnectedNotice || n is PresenceNotice { Online: false });
        }

        Assert.Equal(1, a.Sessions.Count);
    }

    [Fact]
    public async Task A_silent_link_longer_than_the_lease_and_its_grace_ends_the_cut_sessions_elsewhere_and_the_cut_node_closes_them_when_back()
    {
        var lease = TimeSpan.FromSeconds(1);
        var a = await _cluster.StartNodeAsync("node-a", lease, link: _link);
        var b = await _cluster.StartNodeAsync("node-b", lease);
        var seen = new SeenMessageIds(); // one user's client, as the SDK keeps it across a reconnect
        var (_, seasOldNotices) = await _cluster.LoginAsync(a, "seas", seen);
        var (columbia, columbiaNotices) = await _cluster.LoginAsync(b, "columbia");

        _link.Freeze();
        var sent = Enumerable.Range(0, 5).Select(i => $"m-{i}").ToList();
        foreach (var text in sent)
        {
            Assert.NotEqual(SendOutcome.Refused, (await columbia.SendAsync("seas", text)).Outcome);
        }

        await columbiaNotices.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: false });
        _link.Thaw();

        // Whether or not its client library noticed the silence, node A finds on its next renewal that it went longer
        // than a lease without one, and checks its sessions against presence.
        Assert.Equal("expired", (await seasOldNotices.WaitForAsync<ByeNotice>()).Reason);
        await seasOldNotices.WaitForAsync<DisconnectedNotice>();

        // Node B answered delivered: the signals waited in the network and may reach the old session when it thaws,
        // before node A's renewal finds the gap; whatever of them the old session's acknowledgements did not remove
        // from Redis is handed to the new one again, and the client drops it. None is lost, and none is shown twice.
        var old = seasOldNotices.Received.OfType<MessageNotice>().Select(m => m.Message.Text).ToList();
        var (seasNew, seasNewNotices) = await _cluster.LoginAsync(b, "seas", seen);
        Assert.Contains((await columbia.SendAsync("seas", "last")).Outcome, new[] { SendOutcome.Delivered, SendOutcome.Queued });
        await seasNewNotices.WaitForAsync<MessageNotice>(m => m.Message.Text == "last"); // all kept before it came first
        var shown = seasNewNotices.Received.OfType<MessageNotice>().Select(m => m.Message.Text).ToList();
        output.WriteLine($"the old session was shown {old.Count} of {sent.Count}; the new one {shown.Count - 1}, and {seasNew.DuplicatesSuppressed} again (dropped)");
        Assert.Equal([.. sent, "last"], old.Concat(shown));
    }

    // A write that times out on a silent link was written to the socket already, and Redis carries it out when the link
    // returns: after a timeout, server-error means the outcome is unknown (docs/scale-out.md). Blocking is idempotent, so
    // the "try again" it asks for is safe: the retry succeeds, and the block holds once.
    [Fact]
    public async Task A_block_answered_server_error_on_a_silent_link_is_safe_to_repeat_and_holds_once()
    {
        var a = await _cluster.StartNodeAsync("node-a", TimeSpan.FromSeconds(20), link: _link);
        var b = await _cluster.StartNodeAsync("node-b", TimeSpan.FromSeconds(20));
        var (seas, _) = await _cluster.LoginAsync(a, "seas");
        var (columbia, _) = await _cluster.LoginAsync(b, "columbia");

        _link.Freeze();
        var refused = await Assert.ThrowsAsync<ChatProtocolException>(() => seas.BlockAsync("columbia"));
        Assert.Contains("server-error", refused.Message, StringComparison.Ordinal);
        _link.Thaw();

        // Once node A answers again, whatever Redis did with the first block has been done (one connection, in order).
        await SendOnceBackAsync(seas, "columbia", "after");
        await seas.BlockAsync("columbia");
        Assert.Equal(SendOutcome.Refused, (await columbia.SendAsync("seas", "am I blocked?")).Outcome);
        await seas.UnblockAsync("columbia");
        Assert.NotEqual(SendOutcome.Refused, (await columbia.SendAsync("seas", "one unblock undoes it")).Outcome);
    }

    // The recipients elsewhere are counted before the broadcast is published. It was the other way round: on a silent
    // link the publish timed out but had been written, the count failed (server-error), and the publish was carried out
    // when the link returned, so everyone elsewhere got a broadcast its sender was told failed.
    [Fact]
    public async Task A_broadcast_refused_on_a_silent_link_reaches_nobody_when_the_link_returns()
    {
        var a = await _cluster.StartNodeAsync("node-a", TimeSpan.FromSeconds(20), link: _link);
        var b = await _cluster.StartNodeAsync("node-b", TimeSpan.FromSeconds(20));
        var (seas, _) = await _cluster.LoginAsync(a, "seas");
        var (_, columbiaNotices) = await _cluster.LoginAsync(b, "columbia");

        _link.Freeze();
        var refused = await Assert.ThrowsAsync<ChatProtocolException>(() => seas.BroadcastAsync("refused"));
        Assert.Contains("server-error", refused.Message, StringComparison.Ordinal);
        _link.Thaw();

        // Signals from node A to node B keep their order: whatever became of the refused broadcast arrives before this.
        await SendOnceBackAsync(seas, "columbia", "after");
        await columbiaNotices.WaitForAsync<MessageNotice>(m => m.Message.Text == "after");
        Assert.Equal(["after"], columbiaNotices.Received.OfType<MessageNotice>().Select(m => m.Message.Text));
    }

    // After the link returns the node re-reads messages, checks its own sessions, and tells its users the presence
    // changes whose signals it missed (this failed before the resynchronization re-announced presence).
    [Fact]
    public async Task Presence_changes_made_elsewhere_during_a_short_cut_reach_the_cut_nodes_users_once_the_link_returns()
    {
        var a = await _cluster.StartNodeAsync("node-a", TimeSpan.FromSeconds(20), link: _link);
        var b = await _cluster.StartNodeAsync("node-b", TimeSpan.FromSeconds(20));
        var (_, seasNotices) = await _cluster.LoginAsync(a, "seas");
        var (columbia, _) = await _cluster.LoginAsync(b, "columbia");
        var (google, _) = await _cluster.LoginAsync(b, "google");
        await seasNotices.WaitForAsync<PresenceNotice>(p => p is { User: "google", Online: true });

        _link.Cut();
        await google.LogoutAsync();
        await _cluster.LoginAsync(b, "csee4119");
        Assert.Equal(SendOutcome.Queued, (await columbia.SendAsync("seas", "during")).Outcome);
        _link.Restore();

        // The node has caught up (the message sent meanwhile arrived); what presence says now must follow, as a lost
        // signal leaves presence stale on one node only briefly (docs/scale-out.md).
        Assert.Equal("during", (await seasNotices.WaitForAsync<MessageNotice>()).Message.Text);
        await seasNotices.WaitForAsync<PresenceNotice>(p => p is { User: "google", Online: false });
        await seasNotices.WaitForAsync<PresenceNotice>(p => p is { User: "csee4119", Online: true });
        Assert.Equal(1, a.Sessions.Count);
    }

    // Acknowledgements travel after the message is shown: poll Redis until they landed, for at most ClusterHarness.Wait.
    private async Task WaitNothingKeptAsync(params string[] users)
    {
        await using var connection = await redis.ConnectAsync();
        var store = new RedisOfflineStore(connection, _cluster.KeyPrefix);
        var waited = Stopwatch.StartNew();
        foreach (var user in users)
        {
            while ((await store.ReadAsync(user, 0, 100)).Count > 0)
            {
                Assert.True(waited.Elapsed < ClusterHarness.Wait, $"{user}'s acknowledgements never reached Redis");
                await Task.Delay(20);
            }
        }
    }

    // The first command after the link returns may still meet the old break (the client library reconnects within 2 s).
    private static async Task SendOnceBackAsync(ChatClient client, string to, string text)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                Assert.Equal(SendOutcome.Delivered, (await client.SendAsync(to, text)).Outcome);
                return;
            }
            catch (ChatProtocolException ex) when (ex.Message.Contains("server-error", StringComparison.Ordinal) && waited.Elapsed < ClusterHarness.Wait)
            {
                await Task.Delay(100);
            }
        }
    }
}
