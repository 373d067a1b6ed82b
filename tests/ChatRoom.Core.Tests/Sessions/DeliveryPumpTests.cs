using ChatRoom.Events;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatRoom.Core.Tests.Sessions;

/// <summary>
/// A session's delivery from the store: one read at a time, nothing handed twice, nothing left stuck, and what happens
/// around its start and end. The store's reads are held open on demand to see what runs meanwhile.
/// </summary>
public sealed class DeliveryPumpTests : IDisposable
{
    private readonly GatedOfflineStore _store = new(new InMemoryOfflineStore());
    private readonly RecordingLogger<DeliveryContext> _log = new();
    private CountingPresence? _presence;
    private readonly CoreHarness _core;

    public DeliveryPumpTests() => _core = CoreHarness.Create(services: s =>
    {
        s.AddSingleton<IOfflineStore>(_store);
        s.AddSingleton<ILogger<DeliveryContext>>(_log);
        s.AddSingleton<IPresenceService>(sp => _presence = new CountingPresence(ActivatorUtilities.CreateInstance<PresenceService>(sp)));
    });

    public void Dispose() => _core.Dispose();

    private async Task<StoredMessage> StoreAsync(string text)
    {
        var message = new ChatMessage(MessageId.New(_core.Time), MessageKind.Direct, "columbia", "seas", text, _core.Time.GetUtcNow());
        return new StoredMessage(await ((IOfflineStore)_store).AppendAsync("seas", message), message);
    }

    private List<string> TextsFor(SessionInfo session) => [.. _core.MessagesFor(session).Select(m => m.Message.Text)];

    [Fact]
    public async Task While_the_starting_read_is_pending_a_catch_up_does_not_start_a_second_read()
    {
        await StoreAsync("kept");
        var connection = new RecordingConnection();
        var session = (await _core.Sessions.LoginAsync(connection, "seas", CoreHarness.Passwords["seas"])).Session!;
        _store.HoldReads();

        var start = _core.Sessions.StartAsync(session).AsTask();
        session.CatchUp();

        Assert.Equal(1, _store.MaxConcurrentReads);
        await _store.ReleaseReadsAsync();
        await start.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["kept"], connection.Notices.OfType<MessageNotice>().Select(m => m.Message.Text));
    }

    [Fact]
    public async Task While_a_catch_up_read_is_pending_another_catch_up_does_not_start_a_second_read()
    {
        var seas = await _core.OnlineAsync("seas");
        await StoreAsync("missed");
        _store.HoldReads();

        _core.Session(seas).CatchUp();
        _core.Session(seas).CatchUp();

        Assert.Equal(1, _store.MaxConcurrentReads);
        await _store.ReleaseReadsAsync();
        Assert.Equal(["missed"], TextsFor(seas));
    }

    [Fact]
    public async Task An_offer_of_a_message_the_store_read_handed_over_already_is_refused_without_reading_the_store_again()
    {
        var seas = await _core.OnlineAsync("seas");
        var stored = await StoreAsync("read first");
        _core.Session(seas).CatchUp();
        var reads = _store.Reads;

        Assert.False(_core.Session(seas).Offer(stored));

        Assert.Equal(reads, _store.Reads);
        Assert.Equal(["read first"], TextsFor(seas));
    }

    [Fact]
    public async Task An_ended_session_refuses_an_offer()
    {
        var seas = await _core.OnlineAsync("seas");
        var stored = await StoreAsync("too late");
        Assert.True(_core.Session(seas).TryEnd());

        Assert.False(_core.Session(seas).Offer(stored));

        Assert.Empty(TextsFor(seas));
    }

    [Fact]
    public async Task A_store_page_that_repeats_the_last_message_handed_over_does_not_send_it_twice()
    {
        await StoreAsync("one");
        await StoreAsync("two");
        var seas = await _core.OnlineAsync("seas");
        _store.RepeatLast = true;
        await StoreAsync("three");

        _core.Session(seas).CatchUp();

        Assert.Equal(["one", "two", "three"], TextsFor(seas));
    }

    [Fact]
    public async Task After_a_post_is_refused_the_next_catch_up_delivers_what_was_left_in_the_store()
    {
        var seas = await _core.OnlineAsync("seas");
        var connection = _core.ConnectionOf(seas);
        await StoreAsync("refused once");
        connection.Outcome = n => n is MessageNotice ? PostOutcome.Full : PostOutcome.Queued;
        _core.Session(seas).CatchUp();
        Assert.Empty(TextsFor(seas));

        connection.Outcome = _ => PostOutcome.Queued;
        _core.Session(seas).CatchUp();

        Assert.Equal(["refused once"], TextsFor(seas));
    }

    [Fact]
    public async Task A_store_read_that_fails_in_the_background_is_logged_as_a_paused_delivery()
    {
        var seas = await _core.OnlineAsync("seas");
        await StoreAsync("waits");
        var failure = new InvalidOperationException("store down");
        _store.FailReads = failure;

        _core.Session(seas).CatchUp();

        var entry = Assert.Single(_log.Entries);
        Assert.Equal((LogLevel.Warning, 1, failure), (entry.Level, entry.Id.Id, entry.Exception));
        _store.FailReads = null;
        _core.Session(seas).CatchUp();
        Assert.Equal(["waits"], TextsFor(seas));
    }

    [Fact]
    public async Task Presence_changes_of_several_users_before_the_session_starts_all_reach_it()
    {
        var connection = new RecordingConnection();
        var session = (await _core.Sessions.LoginAsync(connection, "seas", CoreHarness.Passwords["seas"])).Session!;
        await _core.OnlineAsync("columbia");
        await _core.OnlineAsync("foobar");
        Assert.Empty(connection.Notices);

        await _core.Sessions.StartAsync(session);

        Assert.Equal(["columbia", "foobar"], connection.Notices.OfType<PresenceNotice>().Where(p => p.Online).Select(p => p.User).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Logging_out_twice_ends_the_session_in_presence_once()
    {
        var seas = await _core.OnlineAsync("seas");

        await _core.Sessions.LogoutAsync(_core.Session(seas), LogoutReason.Requested);
        await _core.Sessions.LogoutAsync(_core.Session(seas), LogoutReason.Disconnected);

        Assert.Equal(1, _presence!.Logouts);
        Assert.Equal(LogoutReason.Requested, Assert.Single(_core.Events.OfType<UserLoggedOut>()).Reason);
    }
}
