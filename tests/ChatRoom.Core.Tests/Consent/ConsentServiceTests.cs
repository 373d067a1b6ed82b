using ChatRoom.Blocking;
using ChatRoom.Consent;
using ChatRoom.Events;
using ChatRoom.Presence;
using ChatRoom.Sessions;

namespace ChatRoom.Core.Tests.Consent;

public sealed class ConsentServiceTests : IDisposable
{
    private readonly CoreHarness _core = CoreHarness.Create(o =>
    {
        o.ConsentTimeout = TimeSpan.FromSeconds(30);
        o.PeerGrantLifetime = TimeSpan.FromMinutes(10);
    });

    private IConsentService Consent => _core.Get<IConsentService>();

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task The_target_is_asked_and_on_yes_the_requester_gets_its_address_port_and_a_grant()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia", peerPort: 41234, address: "10.0.0.7");

        Assert.Equal(new ConsentRequestResult(true), await Consent.RequestAsync(seas, "columbia"));
        Assert.Equal([new ConsentRequestNotice("seas")], _core.NoticesFor(columbia));

        Assert.Equal(ConsentAnswerResult.Applied, await Consent.AnswerAsync(columbia, "seas", allow: true));

        var granted = Assert.IsType<AddressGrantedNotice>(Assert.Single(_core.NoticesFor(seas)));
        Assert.Equal(("10.0.0.7", 41234), (granted.Address, granted.Port));
        Assert.Equal(("seas", "columbia"), (granted.Grant.Requester, granted.Grant.Target));
        Assert.Equal(CoreHarness.Start.AddMinutes(10), granted.Grant.ExpiresAt);
        Assert.Matches("^[0-9a-f]{32}$", granted.Grant.Token);
        Assert.Equal(granted.Grant, Assert.IsType<ConsentConfirmedNotice>(_core.NoticesFor(columbia)[1]).Grant);
        Assert.Single(_core.Events.OfType<ConsentGiven>());
    }

    [Fact]
    public async Task The_address_a_client_named_for_peers_is_the_one_handed_out()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia", 41234, "10.0.0.7", "192.168.1.5");
        await Consent.RequestAsync(seas, "columbia");

        await Consent.AnswerAsync(columbia, "seas", allow: true);

        Assert.Equal("192.168.1.5", Assert.IsType<AddressGrantedNotice>(Assert.Single(_core.NoticesFor(seas))).Address);
    }

    [Fact]
    public async Task On_no_the_requester_is_told_it_was_declined()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        await Consent.RequestAsync(seas, "columbia");

        await Consent.AnswerAsync(columbia, "seas", allow: false);

        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.Declined)], _core.NoticesFor(seas));
    }

    [Fact]
    public async Task No_answer_within_the_timeout_is_a_refusal_exactly_at_the_timeout()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        await Consent.RequestAsync(seas, "columbia");

        _core.Time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromTicks(1));
        Assert.Empty(_core.NoticesFor(seas));

        _core.Time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.TimedOut)], _core.NoticesFor(seas));
        Assert.Equal(ConsentAnswerResult.NoSuchRequest, await Consent.AnswerAsync(columbia, "seas", allow: true));
    }

    [Fact]
    public async Task An_offline_target_is_refused_at_once()
    {
        var seas = await _core.OnlineAsync("seas");

        Assert.Equal(new ConsentRequestResult(false, ConsentRefusal.Offline), await Consent.RequestAsync(seas, "columbia"));
        Assert.Equal(ConsentRefusal.Offline, Assert.Single(_core.Events.OfType<ConsentRefused>()).Reason);
    }

    [Fact]
    public async Task A_target_who_blocked_the_requester_is_never_asked()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        await _core.Get<IBlacklistService>().BlockAsync("columbia", "seas");

        Assert.Equal(new ConsentRequestResult(false, ConsentRefusal.Blocked), await Consent.RequestAsync(seas, "columbia"));
        Assert.Empty(_core.NoticesFor(columbia));
    }

    [Theory]
    [InlineData("nobody", ConsentRefusal.UnknownUser)]
    [InlineData("seas", ConsentRefusal.Self)]
    public async Task Unknown_users_and_oneself_are_refused(string target, ConsentRefusal reason)
    {
        var seas = await _core.OnlineAsync("seas");

        Assert.Equal(new ConsentRequestResult(false, reason), await Consent.RequestAsync(seas, target));
    }

    [Fact]
    public async Task Asking_again_while_a_question_is_open_is_refused_and_the_first_question_stands()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        await Consent.RequestAsync(seas, "columbia");

        Assert.Equal(new ConsentRequestResult(false, ConsentRefusal.AlreadyPending), await Consent.RequestAsync(seas, "columbia"));

        Assert.Single(_core.NoticesFor(columbia));
        Assert.Equal(ConsentAnswerResult.Applied, await Consent.AnswerAsync(columbia, "seas", allow: true));
    }

    [Fact]
    public async Task The_target_logging_out_while_asked_refuses_the_requester()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        await Consent.RequestAsync(seas, "columbia");

        Consent.SessionEnded(columbia);

        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.TargetLeft)], _core.NoticesFor(seas));
        _core.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(_core.NoticesFor(seas));
    }

    [Fact]
    public async Task The_requester_leaving_drops_the_question_without_telling_anyone()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        await Consent.RequestAsync(seas, "columbia");

        Consent.SessionEnded(seas);

        Assert.Equal(ConsentAnswerResult.NoSuchRequest, await Consent.AnswerAsync(columbia, "seas", allow: true));
        Assert.Empty(_core.NoticesFor(seas));
        Assert.Equal(ConsentRefusal.RequesterLeft, Assert.Single(_core.Events.OfType<ConsentRefused>()).Reason);
    }

    [Fact]
    public async Task A_takeover_of_the_target_while_asked_ends_the_question_and_the_old_session_cannot_answer()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        await Consent.RequestAsync(seas, "columbia");

        var takeover = await _core.PresenceLoginAsync("columbia", "10.0.0.2", 4000);
        Consent.SessionEnded(takeover.Displaced!);

        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.TargetLeft)], _core.NoticesFor(seas));
        Assert.Equal(ConsentAnswerResult.NoSuchRequest, await Consent.AnswerAsync(columbia, "seas", allow: true));
        Assert.Equal(ConsentAnswerResult.NoSuchRequest, await Consent.AnswerAsync(takeover.Session, "seas", allow: true));
    }

    [Fact]
    public async Task A_yes_from_a_session_replaced_since_it_was_asked_is_refused_as_target_left()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        await Consent.RequestAsync(seas, "columbia");
        await _core.PresenceLoginAsync("columbia", "10.0.0.2", 4000);

        await Consent.AnswerAsync(columbia, "seas", allow: true);

        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.TargetLeft)], _core.NoticesFor(seas));
    }

    [Fact]
    public async Task A_target_without_a_peer_port_cannot_grant()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia", peerPort: null);
        await Consent.RequestAsync(seas, "columbia");

        await Consent.AnswerAsync(columbia, "seas", allow: true);

        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.NoPeerPort)], _core.NoticesFor(seas));
    }

    [Fact]
    public async Task A_target_that_cannot_be_reached_to_ask_counts_as_gone()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        _core.ConnectionOf(columbia).Outcome = _ => PostOutcome.Closed;

        await Consent.RequestAsync(seas, "columbia");

        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.TargetLeft)], _core.NoticesFor(seas));
    }

    [Fact]
    public void A_grant_admits_only_its_requester_with_its_token_before_it_expires()
    {
        var grant = PeerGrant.Create("seas", "columbia", CoreHarness.Start.AddMinutes(1));

        Assert.True(grant.Admits("seas", grant.Token, CoreHarness.Start));
        Assert.False(grant.Admits("foobar", grant.Token, CoreHarness.Start));
        Assert.False(grant.Admits("seas", new string('0', 32), CoreHarness.Start));
        Assert.False(grant.Admits("seas", grant.Token[..31], CoreHarness.Start));
        Assert.False(grant.Admits("seas", grant.Token, CoreHarness.Start.AddMinutes(1)));
        Assert.NotEqual(grant.Token, PeerGrant.Create("seas", "columbia", CoreHarness.Start).Token);
    }
}
