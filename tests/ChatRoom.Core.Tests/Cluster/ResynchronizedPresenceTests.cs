using ChatRoom.Blocking;
using ChatRoom.Cluster;
using ChatRoom.Presence;
using ChatRoom.Sessions;

namespace ChatRoom.Core.Tests.Cluster;

/// <summary>
/// Presence signals lost while the nodes could not hear each other: a node that resynchronizes tells its sessions what
/// they missed, once, still hiding blockers, and without announcing everyone who was online before it started.
/// </summary>
public sealed class ResynchronizedPresenceTests : IDisposable
{
    private readonly TwoNodes _nodes = new();

    public void Dispose() => _nodes.Dispose();

    private CoreHarness A => _nodes.A;

    private CoreHarness B => _nodes.B;

    [Fact]
    public async Task Logouts_and_logins_elsewhere_whose_signals_were_lost_are_told_once_the_node_resynchronizes()
    {
        var seas = await A.OnlineAsync("seas");
        var columbia = await B.OnlineAsync("columbia");
        Assert.Equal([new PresenceNotice("columbia", true)], A.PresenceFor(seas));

        _nodes.Dropping = true;
        await B.Sessions.LogoutAsync(B.Session(columbia), LogoutReason.Requested);
        _nodes.Time.Advance(TimeSpan.FromSeconds(1));
        await B.OnlineAsync("foobar");
        _nodes.Dropping = false;
        Assert.Equal([new PresenceNotice("columbia", true)], A.PresenceFor(seas));

        await A.Get<IClusterSignalHandler>().ResynchronizeAsync();

        Assert.Equal(
            [new PresenceNotice("columbia", true), new PresenceNotice("columbia", false), new PresenceNotice("foobar", true)],
            A.PresenceFor(seas));

        // Nothing more changed: a second resynchronization tells nothing again.
        await A.Get<IClusterSignalHandler>().ResynchronizeAsync();
        Assert.Equal(3, A.PresenceFor(seas).Count);
    }

    [Fact]
    public async Task A_user_who_came_back_while_signals_were_lost_is_told_online_again()
    {
        var seas = await A.OnlineAsync("seas");
        var columbia = await B.OnlineAsync("columbia");
        await B.Sessions.LogoutAsync(B.Session(columbia), LogoutReason.Requested);

        _nodes.Dropping = true;
        await B.OnlineAsync("columbia");
        _nodes.Dropping = false;
        await A.Get<IClusterSignalHandler>().ResynchronizeAsync();

        Assert.Equal(
            [new PresenceNotice("columbia", true), new PresenceNotice("columbia", false), new PresenceNotice("columbia", true)],
            A.PresenceFor(seas));
    }

    [Fact]
    public async Task A_login_whose_signal_was_lost_stays_hidden_from_those_the_user_blocked()
    {
        var seas = await A.OnlineAsync("seas");
        var csee = await A.OnlineAsync("csee4119");
        await B.Get<IBlacklistService>().BlockAsync("foobar", "seas");

        _nodes.Dropping = true;
        _nodes.Time.Advance(TimeSpan.FromSeconds(1));
        await B.OnlineAsync("foobar");
        _nodes.Dropping = false;
        await A.Get<IClusterSignalHandler>().ResynchronizeAsync();

        Assert.Contains(new PresenceNotice("foobar", true), A.PresenceFor(csee));
        Assert.DoesNotContain(A.PresenceFor(seas), p => p.User == "foobar");
    }

    [Fact]
    public async Task Users_online_since_before_the_node_started_are_not_announced_at_its_resynchronization_but_their_leaving_is()
    {
        // Node b hears nothing yet: its session engine starts with its first login, a minute after columbia's.
        _nodes.Dropping = true;
        var columbia = await A.OnlineAsync("columbia");
        _nodes.Time.Advance(TimeSpan.FromMinutes(1));
        var seas = await B.OnlineAsync("seas");
        _nodes.Dropping = false;

        await B.Get<IClusterSignalHandler>().ResynchronizeAsync();
        Assert.Empty(B.PresenceFor(seas));

        _nodes.Dropping = true;
        await A.Sessions.LogoutAsync(A.Session(columbia), LogoutReason.Requested);
        _nodes.Dropping = false;
        await B.Get<IClusterSignalHandler>().ResynchronizeAsync();

        Assert.Equal([new PresenceNotice("columbia", false)], B.PresenceFor(seas));
    }

    [Fact]
    public async Task A_login_at_the_moment_the_node_started_counts_as_after_its_start()
    {
        _nodes.Dropping = true;
        var seas = await B.OnlineAsync("seas"); // node b's engine starts now
        await A.OnlineAsync("columbia");        // at the same instant, unheard
        _nodes.Dropping = false;

        await B.Get<IClusterSignalHandler>().ResynchronizeAsync();

        Assert.Equal([new PresenceNotice("columbia", true)], B.PresenceFor(seas));
    }
}
