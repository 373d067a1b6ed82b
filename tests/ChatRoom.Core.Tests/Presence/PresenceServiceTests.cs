using ChatRoom.Events;
using ChatRoom.Presence;

namespace ChatRoom.Core.Tests.Presence;

public sealed class PresenceServiceTests : IDisposable
{
    private readonly CoreHarness _core = CoreHarness.Create(o => o.HeartbeatTimeout = TimeSpan.FromSeconds(30));

    private IPresenceService Presence => _core.Get<IPresenceService>();

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task A_login_records_address_port_and_times()
    {
        var login = await _core.PresenceLoginAsync("seas", "10.0.0.9", 41000);

        Assert.Null(login.Displaced);
        var found = await Presence.FindAsync("seas");
        Assert.Equal(new SessionInfo(login.Session.Id, "seas", "10.0.0.9", 41000, CoreHarness.Start, CoreHarness.Start), found);
    }

    [Fact]
    public async Task List_shows_everyone_online()
    {
        await _core.OnlineAsync("seas");
        await _core.OnlineAsync("columbia");

        Assert.Equal(["columbia", "seas"], (await Presence.ListAsync()).Select(s => s.User).Order());
    }

    [Fact]
    public async Task A_second_login_displaces_the_first_and_names_the_new_address()
    {
        var first = await _core.OnlineAsync("seas", address: "10.0.0.1");

        var second = await _core.PresenceLoginAsync("seas", "10.0.0.2", null);

        Assert.Equal(first, second.Displaced);
        Assert.Equal(second.Session, await Presence.FindAsync("seas"));
    }

    [Fact]
    public async Task A_login_that_displaces_another_raises_one_displaced_event_naming_both_addresses()
    {
        var first = await _core.OnlineAsync("seas", address: "10.0.0.1");

        await _core.OnlineAsync("seas", address: "10.0.0.2");

        var displaced = Assert.Single(_core.Events.OfType<SessionDisplaced>());
        Assert.Equal(first, displaced.Previous);
        Assert.Equal("10.0.0.2", displaced.Current.RemoteAddress);
    }

    [Fact]
    public async Task A_displaced_session_can_neither_heartbeat_nor_log_the_user_out()
    {
        var first = await _core.OnlineAsync("seas");
        await _core.OnlineAsync("seas");

        Assert.False(await Presence.HeartbeatAsync(first.Id, "seas"));
        Assert.Null(await Presence.LogoutAsync(first.Id, "seas", LogoutReason.Disconnected));
        Assert.NotNull(await Presence.FindAsync("seas"));
    }

    [Fact]
    public async Task Logout_ends_the_session_and_raises_a_logout_event()
    {
        var session = await _core.OnlineAsync("seas");

        var ended = await Presence.LogoutAsync(session.Id, "seas", LogoutReason.Requested);

        Assert.Equal(session, ended);
        Assert.Null(await Presence.FindAsync("seas"));
        await _core.Sessions.LogoutAsync(_core.Session(session), LogoutReason.Requested);
        Assert.Empty(_core.Events.OfType<UserLoggedOut>()); // presence ended it already: nothing to end, nothing raised

        var again = await _core.OnlineAsync("seas");
        await _core.Sessions.LogoutAsync(_core.Session(again), LogoutReason.Requested);
        Assert.Equal((again, LogoutReason.Requested), Assert.Single(_core.Events.OfType<UserLoggedOut>().Select(e => (e.Session, e.Reason))));
    }

    [Fact]
    public async Task The_sweep_expires_a_session_whose_heartbeat_is_older_than_the_timeout_but_not_one_exactly_at_it()
    {
        var session = await _core.OnlineAsync("seas");

        _core.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(await Presence.SweepAsync());

        _core.Time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal([session], await Presence.SweepAsync());
        Assert.Null(await Presence.FindAsync("seas"));
    }

    [Fact]
    public async Task Expiry_through_the_session_engine_raises_a_logout_event_with_reason_expired()
    {
        var session = await _core.OnlineAsync("seas");

        _core.Time.Advance(TimeSpan.FromSeconds(30) + TimeSpan.FromTicks(1));
        Assert.Equal(1, await _core.Sessions.ExpireAsync());

        Assert.Equal((session, LogoutReason.Expired), Assert.Single(_core.Events.OfType<UserLoggedOut>().Select(e => (e.Session, e.Reason))));
    }

    [Fact]
    public async Task A_heartbeat_keeps_the_session_alive()
    {
        var session = await _core.OnlineAsync("seas");
        _core.Time.Advance(TimeSpan.FromSeconds(25));

        Assert.True(await Presence.HeartbeatAsync(session.Id, "seas"));
        _core.Time.Advance(TimeSpan.FromSeconds(25));

        Assert.Empty(await Presence.SweepAsync());
        Assert.Equal(CoreHarness.Start.AddSeconds(25), (await Presence.FindAsync("seas"))!.LastHeartbeat);
    }

    [Fact]
    public async Task The_sweep_expires_only_the_silent_sessions()
    {
        var silent = await _core.OnlineAsync("seas");
        _core.Time.Advance(TimeSpan.FromSeconds(20));
        await _core.OnlineAsync("columbia");
        _core.Time.Advance(TimeSpan.FromSeconds(20));

        Assert.Equal([silent], await Presence.SweepAsync());
        Assert.NotNull(await Presence.FindAsync("columbia"));
    }

    [Fact]
    public async Task One_sweep_returns_every_session_that_expired_not_only_the_last_one_found()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        var foobar = await _core.OnlineAsync("foobar");
        _core.Time.Advance(TimeSpan.FromSeconds(31));

        var expired = await Presence.SweepAsync();

        Assert.Equal([columbia, foobar, seas], expired.OrderBy(s => s.User, StringComparer.Ordinal));
        Assert.Empty(await Presence.ListAsync());
    }
}
