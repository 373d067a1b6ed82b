using ChatRoom.Blocking;
using ChatRoom.Cluster;
using ChatRoom.Consent;
using ChatRoom.Events;
using ChatRoom.Presence;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Core.Tests.Cluster;

/// <summary>Cross-node paths whose effect is a count, an event or a signal not sent, with the nodes linked in memory.</summary>
public sealed class CrossNodeCountsTests : IDisposable
{
    private readonly TwoNodes _nodes = new(o => o.ConsentTimeout = TimeSpan.FromSeconds(30));

    public void Dispose() => _nodes.Dispose();

    private CoreHarness A => _nodes.A;

    private CoreHarness B => _nodes.B;

    [Fact]
    public async Task A_broadcast_counts_each_user_on_the_other_node_once_and_not_those_who_blocked_the_sender()
    {
        await A.OnlineAsync("seas");
        await B.OnlineAsync("columbia");
        await B.OnlineAsync("foobar");
        await B.OnlineAsync("csee4119");
        await B.Get<IBlacklistService>().BlockAsync("csee4119", "seas");

        var result = await A.Get<IMessageRouter>().BroadcastAsync("seas", "hello all");

        Assert.Equal(2, result.Recipients);
    }

    [Fact]
    public async Task A_broadcast_counts_users_with_a_session_on_the_sending_node_there_and_not_again_among_the_others()
    {
        await A.OnlineAsync("seas");
        await A.OnlineAsync("columbia");
        await A.OnlineAsync("foobar");
        await B.OnlineAsync("csee4119");

        var result = await A.Get<IMessageRouter>().BroadcastAsync("seas", "hello all");

        Assert.Equal(3, result.Recipients);
    }

    [Fact]
    public async Task A_message_handed_to_the_other_node_is_recorded_as_delivered()
    {
        await A.OnlineAsync("seas");
        await B.OnlineAsync("columbia");

        var result = await A.Get<IMessageRouter>().SendAsync("seas", "columbia", "over there");

        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        Assert.Equal(result.Message, Assert.Single(A.Events.OfType<MessageDelivered>()).Message);
    }

    [Fact]
    public async Task A_user_whose_presence_points_at_this_node_but_has_no_session_here_is_stored_offline_not_signalled()
    {
        // What a node that restarted finds: presence still names it for a session it no longer holds.
        await A.OnlineAsync("seas");
        var now = _nodes.Time.GetUtcNow();
        await A.Get<IPresenceService>().LoginAsync(new SessionInfo(SessionId.New(), "columbia", "10.0.0.9", null, now, now) { Node = "node-a" });

        var result = await A.Get<IMessageRouter>().SendAsync("seas", "columbia", "for later");

        Assert.Equal(SendOutcome.StoredOffline, result.Outcome);
        Assert.DoesNotContain(_nodes.Sent, s => s is DeliverSignal);
    }

    [Fact]
    public async Task A_presence_change_is_signalled_to_the_other_node_once_and_never_echoed_back()
    {
        await B.OnlineAsync("columbia");
        _nodes.Sent.Clear();

        await A.OnlineAsync("seas");

        Assert.Equal([new PresenceSignal("seas")], _nodes.Sent.OfType<PresenceSignal>());
    }

    [Fact]
    public async Task A_question_asked_of_a_session_displaced_elsewhere_ends_when_its_heartbeat_finds_it_gone()
    {
        var seas = await A.OnlineAsync("seas");
        var columbia = await A.OnlineAsync("columbia");
        await A.Get<IConsentService>().RequestAsync(seas, "columbia");
        _nodes.Dropping = true;
        await B.OnlineAsync("columbia", address: "10.0.0.2");
        _nodes.Dropping = false;
        Assert.Equal([new ConsentRequestNotice("seas")], A.NoticesFor(columbia));

        Assert.False(await A.Sessions.HeartbeatAsync(A.Session(columbia)));

        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.TargetLeft)], A.NoticesFor(seas));
        Assert.Equal(0, ((ConsentService)A.Get<IConsentService>()).OpenQuestions);
    }

    [Fact]
    public async Task A_signal_this_node_does_not_know_is_refused_with_its_type_named()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => A.Get<IClusterSignalHandler>().HandleAsync(new StrangeSignal()).AsTask());

        Assert.Contains(nameof(StrangeSignal), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_single_servers_bus_reports_that_a_send_reached_nobody()
    {
        Assert.False(await new LocalClusterBus().SendAsync("node-b", new PresenceSignal("seas")));
    }

    private sealed record StrangeSignal : ClusterSignal;
}
