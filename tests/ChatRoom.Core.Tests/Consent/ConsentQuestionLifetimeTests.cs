using ChatRoom.Consent;
using ChatRoom.Events;
using ChatRoom.Presence;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Core.Tests.Consent;

/// <summary>What a consent question leaves behind: its record in the directory, its timer, its events and its arguments.</summary>
public sealed class ConsentQuestionLifetimeTests : IDisposable
{
    private readonly RecordingConsentDirectory _directory = new(new InMemoryConsentDirectory());
    private readonly CoreHarness _core;

    public ConsentQuestionLifetimeTests() => _core = CoreHarness.Create(
        o => o.ConsentTimeout = TimeSpan.FromSeconds(30),
        s => s.AddSingleton<IConsentDirectory>(_directory));

    private IConsentService Consent => _core.Get<IConsentService>();

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task The_directory_keeps_a_question_for_twice_the_timeout_so_it_outlives_the_asking_nodes_timer()
    {
        var seas = await _core.OnlineAsync("seas");
        await _core.OnlineAsync("columbia");

        await Consent.RequestAsync(seas, "columbia");

        Assert.Equal([TimeSpan.FromSeconds(60)], _directory.Lifetimes);
    }

    [Fact]
    public async Task Asking_is_published_as_an_event_naming_requester_and_target()
    {
        var seas = await _core.OnlineAsync("seas");
        await _core.OnlineAsync("columbia");

        await Consent.RequestAsync(seas, "columbia");

        var asked = Assert.Single(_core.Events.OfType<ConsentAsked>());
        Assert.Equal(("seas", "columbia", CoreHarness.Start), (asked.Requester, asked.Target, asked.At));
    }

    [Fact]
    public async Task An_answer_closes_the_question_on_the_asking_node_at_once_and_its_timeout_later_costs_the_directory_nothing()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        await Consent.RequestAsync(seas, "columbia");

        await Consent.AnswerAsync(columbia, "seas", allow: true);

        Assert.Equal(0, ((ConsentService)Consent).OpenQuestions);
        _core.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(0, _directory.Removes); // the timer was stopped, so it never asks the directory to remove it
        Assert.Single(_core.NoticesFor(seas));
    }

    [Fact]
    public async Task The_peer_pin_of_the_targets_session_reaches_the_requester_with_the_grant()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia", peerPort: 41234, peerPin: "pin-of-columbia");
        await Consent.RequestAsync(seas, "columbia");

        await Consent.AnswerAsync(columbia, "seas", allow: true);

        Assert.Equal("pin-of-columbia", Assert.IsType<AddressGrantedNotice>(Assert.Single(_core.NoticesFor(seas))).PeerPin);
    }

    [Fact]
    public async Task A_disposed_service_stops_its_timers_so_a_node_shutting_down_sends_no_timeouts()
    {
        var seas = await _core.OnlineAsync("seas");
        await _core.OnlineAsync("columbia");
        await Consent.RequestAsync(seas, "columbia");

        ((IDisposable)Consent).Dispose();
        _core.Time.Advance(TimeSpan.FromSeconds(31));

        Assert.Empty(_core.NoticesFor(seas));
        Assert.Empty(_core.Events.OfType<ConsentRefused>());
    }

    [Fact]
    public async Task The_consent_service_rejects_a_null_session_with_an_argument_error()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Consent.RequestAsync(null!, "columbia").AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Consent.AnswerAsync(null!, "seas", allow: true).AsTask());
        Assert.Throws<ArgumentNullException>(() => Consent.SessionEnded(null!));
    }

    [Fact]
    public async Task The_directory_hands_a_question_only_to_the_session_it_was_asked_of()
    {
        var directory = new InMemoryConsentDirectory();
        var now = CoreHarness.Start;
        var asked = new SessionInfo(SessionId.New(), "columbia", "10.0.0.7", 41234, now, now);
        var question = new ConsentQuestion(Guid.NewGuid(), new SessionInfo(SessionId.New(), "seas", "10.0.0.1", null, now, now), asked);
        Assert.True(await directory.TryAddAsync(question, TimeSpan.FromMinutes(1)));

        // The user's next session (logged in again since) cannot answer what the earlier one was asked.
        Assert.Null(await directory.TryTakeAsync("seas", "columbia", SessionId.New()));
        Assert.Equal(1, directory.Count);

        Assert.Equal(question, await directory.TryTakeAsync("seas", "columbia", asked.Id));
        Assert.Equal(0, directory.Count);
    }
}
