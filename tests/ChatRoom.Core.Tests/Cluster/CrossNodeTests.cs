using ChatRoom.Blocking;
using ChatRoom.Cluster;
using ChatRoom.Consent;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Core.Tests.Cluster;

/// <summary>Two nodes behave as one server: every cross-node path of the session engine, with the nodes linked in memory.</summary>
public sealed class CrossNodeTests : IDisposable
{
    private readonly TwoNodes _nodes = new(o => o.ConsentTimeout = TimeSpan.FromSeconds(30));

    public void Dispose() => _nodes.Dispose();

    private CoreHarness A => _nodes.A;

    private CoreHarness B => _nodes.B;

    [Fact]
    public async Task Sessions_record_the_node_that_holds_them()
    {
        var seas = await A.OnlineAsync("seas");
        var columbia = await B.OnlineAsync("columbia");

        Assert.Equal("node-a", seas.Node);
        Assert.Equal("node-b", (await A.Get<IPresenceService>().FindAsync("columbia"))!.Node);
        Assert.Equal("node-b", columbia.Node);
    }

    [Fact]
    public async Task A_message_to_a_user_on_the_other_node_is_delivered_there_live_in_order()
    {
        var seas = await A.OnlineAsync("seas");
        var columbia = await B.OnlineAsync("columbia");

        var results = new List<SendResult>();
        for (var i = 0; i < 5; i++)
        {
            results.Add(await A.Get<IMessageRouter>().SendAsync("seas", "columbia", $"m{i}"));
        }

        Assert.All(results, r => Assert.Equal(SendOutcome.Delivered, r.Outcome));
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], B.MessagesFor(columbia).Select(m => m.Message.Text));
        Assert.All(B.MessagesFor(columbia), m => Assert.False(m.FromOfflineStore));
        Assert.Empty(A.MessagesFor(seas));
        await B.Sessions.AcknowledgeAsync(B.Session(columbia), [.. B.MessagesFor(columbia).Select(m => m.Message.Id)]);
        Assert.Empty(await A.Get<IOfflineStore>().ReadAsync("columbia", 0, 10));
    }

    [Fact]
    public async Task A_message_to_a_user_offline_everywhere_is_stored_and_no_signal_is_sent()
    {
        await A.OnlineAsync("seas");

        var result = await A.Get<IMessageRouter>().SendAsync("seas", "columbia", "later");

        Assert.Equal(SendOutcome.StoredOffline, result.Outcome);
        Assert.DoesNotContain(_nodes.Sent, s => s is DeliverSignal);
        var columbia = await B.OnlineAsync("columbia");
        var kept = Assert.Single(B.MessagesFor(columbia));
        Assert.True(kept.FromOfflineStore);
    }

    [Fact]
    public async Task A_lost_delivery_signal_delays_the_message_until_the_node_resynchronizes_and_never_loses_it()
    {
        await A.OnlineAsync("seas");
        var columbia = await B.OnlineAsync("columbia");

        _nodes.Dropping = true;
        await A.Get<IMessageRouter>().SendAsync("seas", "columbia", "lost signal");
        _nodes.Dropping = false;
        Assert.Empty(B.MessagesFor(columbia));

        await B.Get<IClusterSignalHandler>().ResynchronizeAsync();

        // The in-memory store answers at once, so the catch-up has finished when ResynchronizeAsync returns.
        Assert.Equal("lost signal", Assert.Single(B.MessagesFor(columbia)).Message.Text);
    }

    [Fact]
    public async Task A_message_whose_signal_finds_the_other_node_not_listening_is_queued_and_follows_when_it_catches_up()
    {
        await A.OnlineAsync("seas");
        var columbia = await B.OnlineAsync("columbia");

        _nodes.Unreachable = true;
        var result = await A.Get<IMessageRouter>().SendAsync("seas", "columbia", "while away");
        _nodes.Unreachable = false;

        Assert.Equal(SendOutcome.Queued, result.Outcome);
        Assert.Empty(B.MessagesFor(columbia));
        await B.Get<IClusterSignalHandler>().ResynchronizeAsync();
        Assert.Equal("while away", Assert.Single(B.MessagesFor(columbia)).Message.Text);
    }

    [Fact]
    public async Task A_later_message_after_a_lost_signal_brings_both_in_order()
    {
        await A.OnlineAsync("seas");
        var columbia = await B.OnlineAsync("columbia");

        _nodes.Dropping = true;
        await A.Get<IMessageRouter>().SendAsync("seas", "columbia", "first");
        _nodes.Dropping = false;
        await A.Get<IMessageRouter>().SendAsync("seas", "columbia", "second");

        Assert.Equal(["first", "second"], B.MessagesFor(columbia).Select(m => m.Message.Text));
    }

    [Fact]
    public async Task A_broadcast_reaches_both_nodes_except_blockers_and_counts_as_one_server_would()
    {
        var seas = await A.OnlineAsync("seas");
        var columbia = await A.OnlineAsync("columbia");
        var foobar = await B.OnlineAsync("foobar");
        var exams = await B.OnlineAsync("csee4119");
        await B.Get<IBlacklistService>().BlockAsync("csee4119", "seas");

        var result = await A.Get<IMessageRouter>().BroadcastAsync("seas", "hello all");

        Assert.Equal(2, result.Recipients);
        Assert.Equal("hello all", Assert.Single(A.MessagesFor(columbia)).Message.Text);
        Assert.Equal("hello all", Assert.Single(B.MessagesFor(foobar)).Message.Text);
        Assert.Empty(B.MessagesFor(exams));
        Assert.Empty(A.MessagesFor(seas));
    }

    [Fact]
    public async Task A_login_on_one_node_is_announced_on_the_other_but_not_to_those_the_user_blocked()
    {
        var columbia = await A.OnlineAsync("columbia");
        var foobar = await A.OnlineAsync("foobar");
        await B.Get<IBlacklistService>().BlockAsync("seas", "foobar");

        var seas = await B.OnlineAsync("seas");

        Assert.Contains(new PresenceNotice("seas", true), A.PresenceFor(columbia));
        Assert.DoesNotContain(A.PresenceFor(foobar), p => p.User == "seas");
        await B.Sessions.LogoutAsync(B.Session(seas), LogoutReason.Requested);
        Assert.Equal([new PresenceNotice("seas", true), new PresenceNotice("seas", false)], A.PresenceFor(columbia).Where(p => p.User == "seas"));
    }

    [Fact]
    public async Task Online_spans_the_nodes_and_hides_blockers()
    {
        var seas = await A.OnlineAsync("seas");
        await B.OnlineAsync("columbia");
        await B.OnlineAsync("foobar");
        await B.Get<IBlacklistService>().BlockAsync("foobar", "seas");

        Assert.Equal(["columbia", "seas"], await A.Sessions.GetOnlineUsersAsync(A.Session(seas)));
    }

    [Fact]
    public async Task A_second_login_on_the_other_node_displaces_the_first_with_the_new_address_and_no_presence_change()
    {
        var columbia = await A.OnlineAsync("columbia");
        var first = await A.OnlineAsync("seas", address: "10.0.0.1");

        var second = await B.OnlineAsync("seas", address: "10.0.0.2");

        Assert.Equal(new SessionEnd(LogoutReason.Displaced, "10.0.0.2"), A.ConnectionOf(first).ClosedWith);
        Assert.False(A.Session(first).IsActive);
        Assert.Equal(0, A.Sessions.Count - 1); // only columbia is left on node A
        Assert.Equal(second.Id, (await A.Get<IPresenceService>().FindAsync("seas"))!.Id);
        Assert.Equal([new PresenceNotice("seas", true)], A.PresenceFor(columbia).Where(p => p.User == "seas"));
    }

    [Fact]
    public async Task A_session_displaced_from_another_node_whose_signal_was_lost_is_closed_at_its_next_heartbeat()
    {
        var first = await A.OnlineAsync("seas", address: "10.0.0.1");
        _nodes.Dropping = true;
        await B.OnlineAsync("seas", address: "10.0.0.2");
        _nodes.Dropping = false;
        Assert.Null(A.ConnectionOf(first).ClosedWith);

        Assert.False(await A.Sessions.HeartbeatAsync(A.Session(first)));

        Assert.Equal(new SessionEnd(LogoutReason.Displaced, "10.0.0.2"), A.ConnectionOf(first).ClosedWith);
        Assert.False(A.Session(first).IsActive);
    }

    [Fact]
    public async Task A_session_expired_by_another_node_whose_signal_was_lost_is_closed_when_its_node_resynchronizes()
    {
        var columbia = await B.OnlineAsync("columbia");
        var seas = await A.OnlineAsync("seas");
        var heartbeatTimeout = A.Get<Microsoft.Extensions.Options.IOptions<ChatRoomOptions>>().Value.HeartbeatTimeout;
        _nodes.Time.Advance(heartbeatTimeout + TimeSpan.FromSeconds(1));
        await B.Sessions.HeartbeatAsync(B.Session(columbia));
        _nodes.Dropping = true;
        Assert.Equal(1, await B.Sessions.ExpireAsync());
        _nodes.Dropping = false;
        Assert.Null(A.ConnectionOf(seas).ClosedWith);

        await A.Get<IClusterSignalHandler>().ResynchronizeAsync();

        Assert.Equal(new SessionEnd(LogoutReason.Expired), A.ConnectionOf(seas).ClosedWith);
        Assert.Equal(0, A.Sessions.Count);
    }

    [Fact]
    public async Task Resynchronizing_keeps_the_sessions_presence_still_holds()
    {
        var seas = await A.OnlineAsync("seas");

        await A.Get<IClusterSignalHandler>().ResynchronizeAsync();
        Assert.True(await A.Sessions.HeartbeatAsync(A.Session(seas)));

        Assert.Null(A.ConnectionOf(seas).ClosedWith);
        Assert.True(A.Session(seas).IsActive);
    }

    [Fact]
    public async Task A_block_tells_the_blocked_user_on_the_other_node_that_the_blocker_left()
    {
        var seas = await A.OnlineAsync("seas");
        await B.OnlineAsync("columbia");

        await B.Get<IBlacklistService>().BlockAsync("columbia", "seas");
        Assert.Equal(new PresenceNotice("columbia", false), A.PresenceFor(seas)[^1]);

        await B.Get<IBlacklistService>().UnblockAsync("columbia", "seas");
        Assert.Equal(new PresenceNotice("columbia", true), A.PresenceFor(seas)[^1]);
    }

    [Fact]
    public async Task Consent_asked_on_one_node_is_answered_on_the_other_and_the_grant_reaches_the_requester()
    {
        var seas = await A.OnlineAsync("seas");
        var columbia = await B.OnlineAsync("columbia", peerPort: 41000, address: "10.0.0.7");

        Assert.True((await A.Get<IConsentService>().RequestAsync(seas, "columbia")).Asked);
        Assert.Equal([new ConsentRequestNotice("seas")], B.NoticesFor(columbia));

        Assert.Equal(ConsentAnswerResult.Applied, await B.Get<IConsentService>().AnswerAsync(columbia, "seas", allow: true));

        var granted = Assert.IsType<AddressGrantedNotice>(Assert.Single(A.NoticesFor(seas)));
        Assert.Equal(("10.0.0.7", 41000), (granted.Address, granted.Port));
        Assert.Equal(granted.Grant, Assert.IsType<ConsentConfirmedNotice>(B.NoticesFor(columbia)[^1]).Grant);

        // The asking node learns of the answer only through the directory: its timer then finds the question gone.
        _nodes.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Single(A.NoticesFor(seas));
        Assert.Equal(0, ((ConsentService)A.Get<IConsentService>()).OpenQuestions);
    }

    [Fact]
    public async Task A_refusal_on_the_other_node_reaches_the_requester_and_a_second_answer_finds_no_question()
    {
        var seas = await A.OnlineAsync("seas");
        var columbia = await B.OnlineAsync("columbia");
        await A.Get<IConsentService>().RequestAsync(seas, "columbia");

        await B.Get<IConsentService>().AnswerAsync(columbia, "seas", allow: false);

        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.Declined)], A.NoticesFor(seas));
        Assert.Equal(ConsentAnswerResult.NoSuchRequest, await B.Get<IConsentService>().AnswerAsync(columbia, "seas", allow: true));
        Assert.Equal(ConsentAnswerResult.NoSuchRequest, await A.Get<IConsentService>().AnswerAsync(columbia, "seas", allow: true));
    }

    [Fact]
    public async Task A_question_pending_on_one_node_is_pending_for_the_other_and_times_out_on_the_asking_node()
    {
        var seas = await A.OnlineAsync("seas");
        var columbia = await B.OnlineAsync("columbia");
        await A.Get<IConsentService>().RequestAsync(seas, "columbia");

        // A second session of the requester on the other node cannot ask again while the first question waits.
        var again = await B.Get<IConsentService>().RequestAsync(seas, "columbia");
        Assert.Equal(ConsentRefusal.AlreadyPending, again.Refusal);

        _nodes.Time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.TimedOut)], A.NoticesFor(seas));
        Assert.Equal(ConsentAnswerResult.NoSuchRequest, await B.Get<IConsentService>().AnswerAsync(columbia, "seas", allow: true));
    }

    [Fact]
    public async Task The_target_leaving_on_the_other_node_ends_the_question_for_the_requester()
    {
        var seas = await A.OnlineAsync("seas");
        var columbia = await B.OnlineAsync("columbia");
        await A.Get<IConsentService>().RequestAsync(seas, "columbia");

        await B.Sessions.LogoutAsync(B.Session(columbia), LogoutReason.Requested);

        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.TargetLeft)], A.NoticesFor(seas));
        Assert.Equal(0, ((ConsentService)A.Get<IConsentService>()).OpenQuestions);
    }

    [Fact]
    public async Task Expiry_on_one_node_closes_a_silent_session_held_by_the_other()
    {
        var columbia = await A.OnlineAsync("columbia");
        var seas = await A.OnlineAsync("seas");
        var heartbeatTimeout = A.Get<Microsoft.Extensions.Options.IOptions<ChatRoomOptions>>().Value.HeartbeatTimeout;
        _nodes.Time.Advance(heartbeatTimeout + TimeSpan.FromSeconds(1));
        await A.Sessions.HeartbeatAsync(A.Session(columbia));

        Assert.Equal(1, await B.Sessions.ExpireAsync());

        Assert.Equal(new SessionEnd(LogoutReason.Expired), A.ConnectionOf(seas).ClosedWith);
        Assert.Contains(new PresenceNotice("seas", false), A.PresenceFor(columbia));
    }

}
