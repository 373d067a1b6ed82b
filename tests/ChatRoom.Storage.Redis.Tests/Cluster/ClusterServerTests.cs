using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Client;
using ChatRoom.Consent;
using ChatRoom.Protocol;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

/// <summary>
/// Two and three server nodes in this process on one real Redis, clients over TCP: what a user sees does not depend on
/// which node they or the others are on.
/// </summary>
public sealed class ClusterServerTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly ClusterHarness _cluster = new(redis);
    private ClusterNodeHandle _a = null!;
    private ClusterNodeHandle _b = null!;

    public async Task InitializeAsync()
    {
        _a = await _cluster.StartNodeAsync("node-a");
        _b = await _cluster.StartNodeAsync("node-b");
    }

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Fact]
    public async Task A_message_to_a_user_on_another_node_is_delivered_live_in_order_and_acknowledged_end_to_end()
    {
        var (seas, _) = await _cluster.LoginAsync(_a, "seas");
        var (_, columbiaNotices) = await _cluster.LoginAsync(_b, "columbia");

        var receipts = new List<SendReceipt>();
        for (var i = 0; i < 50; i++)
        {
            receipts.Add(await seas.SendAsync("columbia", $"m{i}"));
        }

        Assert.All(receipts, r => Assert.Equal(SendOutcome.Delivered, r.Outcome));
        var shown = await columbiaNotices.WaitForCountAsync<MessageNotice>(50);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m{i}"), shown.Select(m => m.Message.Text));

        // The client acknowledges what it was shown: Redis lets it go.
        var store = new RedisOfflineStore(await redis.ConnectAsync(), _cluster.KeyPrefix);
        for (var attempt = 0; (await store.ReadAsync("columbia", 0, 100)).Count > 0; attempt++)
        {
            Assert.True(attempt < 300, "the acknowledgements never reached Redis");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Pipelined_messages_from_one_node_to_another_keep_their_order()
    {
        var (seas, _) = await _cluster.LoginAsync(_a, "seas");
        var (_, columbiaNotices) = await _cluster.LoginAsync(_b, "columbia");

        var sends = Enumerable.Range(0, 500).Select(i => seas.SendAsync("columbia", $"p{i}")).ToList();
        await Task.WhenAll(sends);

        var shown = await columbiaNotices.WaitForCountAsync<MessageNotice>(500);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"p{i}"), shown.Select(m => m.Message.Text));
        Assert.Equal(500, shown.Select(m => m.Message.Id).Distinct().Count());
    }

    [Fact]
    public async Task A_message_to_a_user_offline_everywhere_is_kept_and_handed_over_at_login_on_any_node()
    {
        var (seas, _) = await _cluster.LoginAsync(_a, "seas");

        Assert.Equal(SendOutcome.StoredOffline, (await seas.SendAsync("foobar", "kept for you")).Outcome);

        var (_, foobarNotices) = await _cluster.LoginAsync(_b, "foobar");
        var kept = await foobarNotices.WaitForAsync<MessageNotice>();
        Assert.Equal("kept for you", kept.Message.Text);
        Assert.True(kept.FromOfflineStore);
    }

    [Fact]
    public async Task A_broadcast_reaches_every_node_except_those_who_blocked_the_sender()
    {
        var (seas, _) = await _cluster.LoginAsync(_a, "seas");
        var (_, columbiaNotices) = await _cluster.LoginAsync(_a, "columbia");
        var (_, foobarNotices) = await _cluster.LoginAsync(_b, "foobar");
        var (blocker, blockerNotices) = await _cluster.LoginAsync(_b, "csee4119");
        Assert.Equal(BlockResult.Blocked, await blocker.BlockAsync("seas"));

        var receipt = await seas.BroadcastAsync("hello everyone");

        Assert.Equal(2, receipt.Recipients);
        Assert.Equal("hello everyone", (await columbiaNotices.WaitForAsync<MessageNotice>()).Message.Text);
        Assert.Equal("hello everyone", (await foobarNotices.WaitForAsync<MessageNotice>()).Message.Text);

        // The blocker's node handed it out to foobar already; nothing is on its way to the blocker.
        await (await _cluster.LoginAsync(_b, "google")).Client.GetOnlineUsersAsync();
        Assert.Empty(blockerNotices.Received.OfType<MessageNotice>());
    }

    [Fact]
    public async Task Presence_and_online_span_the_nodes_and_stay_hidden_from_blockers()
    {
        var (columbia, columbiaNotices) = await _cluster.LoginAsync(_a, "columbia");
        var (foobar, foobarNotices) = await _cluster.LoginAsync(_a, "foobar");
        await using (var early = await _cluster.ConnectAsync(_b))
        {
            await early.LoginAsync("seas", ClusterHarness.Passwords["seas"]);
            await early.BlockAsync("foobar");
        }

        // The blocked user, a node away, last heard that the blocker left (whether the login's announcement reached them
        // before the block or not); the logout that follows is not told to them.
        await columbiaNotices.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: false });
        await foobarNotices.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: false });
        var heardBefore = foobarNotices.Received.OfType<PresenceNotice>().Count(p => p.User == "seas");
        var (seas, _) = await _cluster.LoginAsync(_b, "seas");

        await columbiaNotices.WaitForCountAsync<PresenceNotice>(2, p => p is { User: "seas", Online: true });
        Assert.Equal(["columbia", "foobar", "seas"], await columbia.GetOnlineUsersAsync());
        Assert.Equal(["columbia", "foobar"], await foobar.GetOnlineUsersAsync());
        Assert.Equal(heardBefore, foobarNotices.Received.OfType<PresenceNotice>().Count(p => p.User == "seas"));
        Assert.False(foobarNotices.Received.OfType<PresenceNotice>().Last(p => p.User == "seas").Online);
        Assert.Equal(["columbia", "foobar", "seas"], await seas.GetOnlineUsersAsync());
    }

    [Fact]
    public async Task A_login_on_another_node_displaces_the_first_session_with_the_displaced_notice()
    {
        var (_, columbiaNotices) = await _cluster.LoginAsync(_a, "columbia");
        var (first, firstNotices) = await _cluster.LoginAsync(_a, "seas");

        var (second, _) = await _cluster.LoginAsync(_b, "seas");

        var displaced = await firstNotices.WaitForAsync<DisplacedNotice>();
        Assert.Equal("127.0.0.1", displaced.NewAddress);
        await firstNotices.WaitForAsync<DisconnectedNotice>();
        Assert.Equal(SendOutcome.Delivered, (await second.SendAsync("columbia", "still here")).Outcome);
        Assert.DoesNotContain(columbiaNotices.Received.OfType<PresenceNotice>(), p => p is { User: "seas", Online: false });
        Assert.Equal(0, _a.Sessions.Count - 1); // only columbia is left on node A
    }

    [Fact]
    public async Task Consent_asked_on_one_node_and_given_on_another_grants_the_address()
    {
        var (seas, seasNotices) = await _cluster.LoginAsync(_a, "seas");
        var target = await _cluster.ConnectAsync(_b, peerPort: 45678);
        var targetNotices = new Notices(target);
        Assert.IsType<LoginSuccess>(await target.LoginAsync("columbia", ClusterHarness.Passwords["columbia"]));

        Assert.True((await seas.RequestAddressAsync("columbia")).Asked);
        Assert.Equal("seas", (await targetNotices.WaitForAsync<ConsentRequestNotice>()).Requester);
        Assert.Equal(ConsentAnswerResult.Applied, await target.AnswerConsentAsync("seas", allow: true));

        var granted = await seasNotices.WaitForAsync<AddressGrantedNotice>();
        Assert.Equal(45678, granted.Port);
        Assert.Equal(granted.Grant.Token, (await targetNotices.WaitForAsync<ConsentConfirmedNotice>()).Grant.Token);
        Assert.Equal(ConsentAnswerResult.NoSuchRequest, await target.AnswerConsentAsync("seas", allow: true));
    }

    [Fact]
    public async Task A_refusal_on_another_node_reaches_the_requester()
    {
        var (seas, seasNotices) = await _cluster.LoginAsync(_a, "seas");
        var (columbia, columbiaNotices) = await _cluster.LoginAsync(_b, "columbia");

        await seas.RequestAddressAsync("columbia");
        await columbiaNotices.WaitForAsync<ConsentRequestNotice>();
        await columbia.AnswerConsentAsync("seas", allow: false);

        Assert.Equal(ConsentRefusal.Declined, (await seasNotices.WaitForAsync<ConsentRefusedNotice>()).Reason);
    }

    [Fact]
    public async Task Failed_logins_count_across_nodes_and_the_lock_holds_on_every_node()
    {
        await using var one = await _cluster.ConnectAsync(_a);
        await using var two = await _cluster.ConnectAsync(_b);

        Assert.IsType<LoginInvalid>(await one.LoginAsync("seas", "wrong-1"));
        Assert.IsType<LoginInvalid>(await two.LoginAsync("seas", "wrong-2"));
        var third = await one.LoginAsync("seas", "wrong-3");

        Assert.IsType<LoginLocked>(third);
        Assert.IsType<LoginLocked>(await two.LoginAsync("seas", ClusterHarness.Passwords["seas"]));
    }

    [Fact]
    public async Task Concurrent_guesses_on_two_nodes_never_get_more_than_the_allowed_tries()
    {
        var clients = new List<ChatClient>();
        for (var i = 0; i < 12; i++)
        {
            clients.Add(await _cluster.ConnectAsync(i % 2 == 0 ? _a : _b));
        }

        var results = await Task.WhenAll(clients.Select((c, i) => c.LoginAsync("foobar", $"guess-{i}")));
        // Three wrong passwords lock the name for the address (the third is answered "locked"), and every guess after
        // those is refused unchecked: the two nodes together counted each guess once.
        Assert.Equal([1, 2], results.OfType<LoginInvalid>().Select(r => r.AttemptsLeft).Order());
        Assert.Equal(10, results.Count(r => r is LoginLocked));
    }

    [Fact]
    public async Task A_third_node_joins_and_sees_the_same_state()
    {
        var (seas, _) = await _cluster.LoginAsync(_a, "seas");
        await seas.BlockAsync("google");
        var c = await _cluster.StartNodeAsync("node-c");

        var (google, _) = await _cluster.LoginAsync(c, "google");
        var (_, foobarNotices) = await _cluster.LoginAsync(_b, "foobar");

        Assert.Equal(RefusalReason.Blocked, (await google.SendAsync("seas", "hi")).Refusal);
        Assert.Equal(SendOutcome.Delivered, (await google.SendAsync("foobar", "hi from c")).Outcome);
        Assert.Equal("hi from c", (await foobarNotices.WaitForAsync<MessageNotice>()).Message.Text);
        Assert.DoesNotContain("seas", await google.GetOnlineUsersAsync());
    }
}
