using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Consent;
using ChatRoom.Events;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Core.Tests.Sessions;

public sealed class SessionManagerTests : IDisposable
{
    private const int Window = 8;
    // Backlogs here are larger than a default box: these tests are about delivering them, not about the box limit.
    private readonly CoreHarness _core = CoreHarness.Create(o =>
    {
        o.DeliveryWindow = Window;
        o.MaxMailboxMessages = 1_000_000;
    });

    private IMessageRouter Router => _core.Get<IMessageRouter>();

    private IBlacklistService Blacklist => _core.Get<IBlacklistService>();

    private IOfflineStore Offline => _core.Get<IOfflineStore>();

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task Stored_messages_are_handed_over_at_login_oldest_first_and_removed_once_acknowledged()
    {
        await Router.SendAsync("seas", "columbia", "one");
        await Router.SendAsync("foobar", "columbia", "two");

        var columbia = await _core.OnlineAsync("columbia");

        var notices = _core.MessagesFor(columbia);
        Assert.Equal(["one", "two"], notices.Select(n => n.Message.Text));
        Assert.All(notices, n => Assert.True(n.FromOfflineStore));
        Assert.Equal(2, _core.Events.OfType<MessageDelivered>().Count());
        Assert.Equal(2, (await Offline.MessagesAsync("columbia", 10)).Count);

        await _core.Sessions.AcknowledgeAsync(_core.Session(columbia), [.. notices.Select(n => n.Message.Id)]);

        Assert.Empty(await Offline.MessagesAsync("columbia", 10));
        Assert.Equal(new MessagesAcknowledged(CoreHarness.Start, "columbia", 2), Assert.Single(_core.Events.OfType<MessagesAcknowledged>()));
    }

    [Fact]
    public async Task A_backlog_larger_than_the_window_goes_out_a_window_at_a_time_as_acknowledgements_arrive()
    {
        await SendManyAsync("seas", "columbia", Window * 2 + 3);
        var columbia = await _core.OnlineAsync("columbia");
        var session = _core.Session(columbia);

        Assert.Equal(Window, _core.MessagesFor(columbia).Count);
        Assert.Equal(Window, session.InFlight);

        await _core.Sessions.AcknowledgeAsync(session, [.. _core.MessagesFor(columbia).Take(3).Select(n => n.Message.Id)]);
        await WaitForAsync(() => _core.MessagesFor(columbia).Count == Window + 3);
        Assert.Equal(Window, session.InFlight);
    }

    [Fact]
    [Trait("Category", "Load")]
    public async Task A_hundred_thousand_stored_messages_all_arrive_in_order_once_with_at_most_a_window_in_flight()
    {
        const int total = 100_000;
        await SendManyAsync("seas", "columbia", total);
        var connection = new RecordingConnection();
        var columbia = await _core.OnlineAsync("columbia", connection: connection);
        var session = _core.Session(columbia);

        var next = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (next < total)
        {
            Assert.True(DateTime.UtcNow < deadline, $"stalled after {next} messages");
            var notices = connection.Notices;
            if (notices.Count == next)
            {
                await Task.Yield();
                continue;
            }

            Assert.True(notices.Count - next <= Window, $"{notices.Count - next} unacknowledged in flight");
            var batch = notices.Skip(next).Cast<MessageNotice>().ToList();
            for (var i = 0; i < batch.Count; i++)
            {
                Assert.Equal($"m{next + i}", batch[i].Message.Text);
            }

            next += batch.Count;
            await _core.Sessions.AcknowledgeAsync(session, [.. batch.Select(n => n.Message.Id)]);
        }

        Assert.Equal(total, connection.Notices.Count);
        Assert.Empty(await Offline.ReadAsync("columbia", 0, 1));
    }

    [Fact]
    public async Task Withheld_messages_at_the_end_of_a_page_do_not_restart_the_hand_over()
    {
        // 255 from seas, 1 from foobar, 44 from seas; the first login takes none, then foobar is blocked.
        await SendManyAsync("seas", "columbia", 255);
        await Router.SendAsync("foobar", "columbia", "from foobar");
        await SendManyAsync("seas", "columbia", 44, first: 255);
        var first = await _core.OnlineAsync("columbia");
        await _core.Sessions.LogoutAsync(_core.Session(first), LogoutReason.Disconnected);
        await Blacklist.BlockAsync("columbia", "foobar");

        var again = await _core.OnlineAsync("columbia", connection: new RecordingConnection());
        var session = _core.Session(again);
        await AcknowledgeAllAsync(again, until: 299);

        var texts = _core.MessagesFor(again).Select(n => n.Message.Text).ToList();
        Assert.Equal(299, texts.Count);
        Assert.Equal(texts.Count, texts.Distinct().Count());
        Assert.DoesNotContain("from foobar", texts);
        Assert.Empty(await Offline.ReadAsync("columbia", 0, 1));
        Assert.Equal(0, session.InFlight);
    }

    [Fact]
    public async Task A_live_message_to_a_caught_up_session_goes_out_at_once_as_a_live_message()
    {
        var columbia = await _core.OnlineAsync("columbia");

        var result = await Router.SendAsync("seas", "columbia", "live");

        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        var notice = Assert.Single(_core.MessagesFor(columbia));
        Assert.Equal(("live", false), (notice.Message.Text, notice.FromOfflineStore));
        Assert.Equal([result.Message!], await Offline.MessagesAsync("columbia", 10));
    }

    [Fact]
    public async Task A_live_message_to_a_session_with_a_full_window_is_queued_and_follows_the_earlier_ones_in_order()
    {
        var columbia = await _core.OnlineAsync("columbia");
        await SendManyAsync("seas", "columbia", Window);

        var result = await Router.SendAsync("foobar", "columbia", "late");

        Assert.Equal(SendOutcome.Queued, result.Outcome);
        Assert.Equal(Window, _core.MessagesFor(columbia).Count);
        await _core.Sessions.AcknowledgeAsync(_core.Session(columbia), [_core.MessagesFor(columbia)[0].Message.Id]);
        await WaitForAsync(() => _core.MessagesFor(columbia).Count == Window + 1);
        var late = _core.MessagesFor(columbia)[^1];
        Assert.Equal(("late", false), (late.Message.Text, late.FromOfflineStore));
    }

    [Fact]
    public async Task Acknowledging_ids_that_are_not_in_flight_frees_no_room()
    {
        await SendManyAsync("seas", "columbia", Window + 1);
        var columbia = await _core.OnlineAsync("columbia");

        await _core.Sessions.AcknowledgeAsync(_core.Session(columbia), [MessageId.New(_core.Time), MessageId.New(_core.Time)]);

        Assert.Equal(Window, _core.MessagesFor(columbia).Count);
        Assert.Equal(Window, _core.Session(columbia).InFlight);
    }

    [Fact]
    public async Task Messages_sent_during_a_long_hand_over_come_after_the_stored_ones_and_nothing_twice()
    {
        await SendManyAsync("seas", "columbia", Window * 3);
        var columbia = await _core.OnlineAsync("columbia");
        var sending = SendManyAsync("foobar", "columbia", 50, first: 1000);

        await AcknowledgeAllAsync(columbia, until: Window * 3 + 50, whileRunning: sending);

        var texts = _core.MessagesFor(columbia).Select(n => n.Message.Text).ToList();
        Assert.Equal(Enumerable.Range(0, Window * 3).Select(i => $"m{i}"), texts.Take(Window * 3));
        Assert.Equal(Enumerable.Range(1000, 50).Select(i => $"m{i}"), texts.Skip(Window * 3));
    }

    [Fact]
    public async Task Stored_messages_from_a_user_blocked_since_are_withheld_and_removed()
    {
        await Router.SendAsync("seas", "columbia", "by seas");
        await Router.SendAsync("foobar", "columbia", "by foobar");
        await Blacklist.BlockAsync("columbia", "seas");

        var columbia = await _core.OnlineAsync("columbia");

        Assert.Equal(["by foobar"], _core.MessagesFor(columbia).Select(n => n.Message.Text));
        Assert.Equal(new OfflineMessagesWithheld(CoreHarness.Start, "columbia", "seas", 1), Assert.Single(_core.Events.OfType<OfflineMessagesWithheld>()));
        Assert.Equal(["by foobar"], (await Offline.MessagesAsync("columbia", 10)).Select(m => m.Text));
    }

    [Fact]
    public async Task Hand_over_stops_when_the_connection_cannot_take_more_and_keeps_the_rest_stored()
    {
        await Router.SendAsync("seas", "columbia", "one");
        await Router.SendAsync("seas", "columbia", "two");
        var posts = 0;
        var connection = new RecordingConnection { Outcome = n => n is MessageNotice && ++posts > 1 ? PostOutcome.Full : PostOutcome.Queued };

        var columbia = await _core.OnlineAsync("columbia", connection: connection);

        Assert.Equal(["one"], _core.MessagesFor(columbia).Select(n => n.Message.Text));
        Assert.Equal(["one", "two"], (await Offline.MessagesAsync("columbia", 10)).Select(m => m.Text));
    }

    [Fact]
    public async Task What_a_dead_connection_never_acknowledged_is_handed_over_again_at_the_next_login()
    {
        await _core.OnlineAsync("columbia");
        var lost = await Router.SendAsync("seas", "columbia", "unacked");

        var again = await _core.OnlineAsync("columbia");

        var notice = Assert.Single(_core.MessagesFor(again));
        Assert.Equal((lost.Message!.Id, true), (notice.Message.Id, notice.FromOfflineStore));
    }

    [Fact]
    public async Task A_wrong_password_starts_no_session()
    {
        var connection = new RecordingConnection();

        var login = await _core.Sessions.LoginAsync(connection, "columbia", "wrong");

        Assert.IsType<LoginInvalid>(login.Result);
        Assert.Null(login.Session);
        Assert.Equal(0, _core.Sessions.Count);
        Assert.Null(await _core.Get<IPresenceService>().FindAsync("columbia"));
    }

    [Fact]
    public async Task Nothing_reaches_a_session_before_it_starts_and_what_was_held_comes_first()
    {
        var seas = await _core.OnlineAsync("seas");
        var connection = new RecordingConnection();
        var login = await _core.Sessions.LoginAsync(connection, "columbia", CoreHarness.Passwords["columbia"]);
        await Router.BroadcastAsync("seas", "early");
        Assert.Empty(connection.Notices);

        await _core.Sessions.StartAsync(login.Session!);

        Assert.Equal("early", Assert.IsType<MessageNotice>(Assert.Single(connection.Notices)).Message.Text);
        Assert.Equal([new PresenceNotice("columbia", true)], _core.PresenceFor(seas));
    }

    [Fact]
    public async Task Login_and_logout_are_announced_to_everyone_except_users_the_subject_has_blocked()
    {
        var columbia = await _core.OnlineAsync("columbia");
        var foobar = await _core.OnlineAsync("foobar");
        await Blacklist.BlockAsync("seas", "foobar");

        var seas = await _core.OnlineAsync("seas");
        await _core.Sessions.LogoutAsync(_core.Session(seas), LogoutReason.Requested);

        Assert.Equal([new PresenceNotice("foobar", true), new PresenceNotice("seas", true), new PresenceNotice("seas", false)], _core.PresenceFor(columbia));
        Assert.Empty(_core.PresenceFor(foobar));
        Assert.Empty(_core.PresenceFor(seas));
    }

    [Fact]
    public async Task An_announcement_reads_the_subjects_block_list_once_not_once_per_recipient()
    {
        var blocks = new CountingBlockListStore();
        using var core = CoreHarness.Create(services: s => s.AddSingleton<IBlockListStore>(blocks));
        await core.Get<IBlacklistService>().BlockAsync("foobar", "seas");
        var columbia = await core.OnlineAsync("columbia");
        var seas = await core.OnlineAsync("seas");
        var csee = await core.OnlineAsync("csee4119");

        blocks.Reset();
        await core.OnlineAsync("foobar");

        Assert.Equal(0, blocks.Contains);
        Assert.Equal(1, blocks.Lists);
        Assert.Equal(new PresenceNotice("foobar", true), core.PresenceFor(columbia)[^1]);
        Assert.Equal(new PresenceNotice("foobar", true), core.PresenceFor(csee)[^1]);
        Assert.DoesNotContain(core.PresenceFor(seas), p => p.User == "foobar");
    }

    [Fact]
    public async Task Presence_that_arrives_before_a_session_starts_keeps_each_users_latest_state_however_many_flips()
    {
        var connection = new RecordingConnection();
        var login = await _core.Sessions.LoginAsync(connection, "columbia", CoreHarness.Passwords["columbia"]);

        // Far more flips than a login's hold has room for (the window): the last word must not be among those lost.
        for (var i = 0; i < Window * 3; i++)
        {
            var seas = await _core.OnlineAsync("seas");
            await _core.Sessions.LogoutAsync(_core.Session(seas), LogoutReason.Requested);
        }

        await _core.OnlineAsync("seas");
        await _core.Sessions.StartAsync(login.Session!);

        Assert.Equal([new PresenceNotice("seas", true)], connection.Notices.OfType<PresenceNotice>());
    }

    [Fact]
    public async Task A_block_hides_the_blocker_at_once_and_an_unblock_shows_them_again()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        Assert.Equal([new PresenceNotice("columbia", true)], _core.PresenceFor(seas));

        await Blacklist.BlockAsync("columbia", "seas");
        Assert.Equal(new PresenceNotice("columbia", false), _core.PresenceFor(seas)[^1]);
        Assert.DoesNotContain("columbia", await _core.Sessions.GetOnlineUsersAsync(_core.Session(seas)));

        await Blacklist.UnblockAsync("columbia", "seas");
        Assert.Equal(new PresenceNotice("columbia", true), _core.PresenceFor(seas)[^1]);
        Assert.Contains("columbia", await _core.Sessions.GetOnlineUsersAsync(_core.Session(seas)));

        await _core.Sessions.LogoutAsync(_core.Session(columbia), LogoutReason.Requested);
        Assert.Equal(new PresenceNotice("columbia", false), _core.PresenceFor(seas)[^1]);
    }

    [Fact]
    public async Task A_block_of_someone_offline_posts_nothing()
    {
        var columbia = await _core.OnlineAsync("columbia");

        await Blacklist.BlockAsync("columbia", "seas");
        await Blacklist.UnblockAsync("columbia", "seas");

        Assert.Empty(_core.PresenceFor(columbia));
    }

    [Fact]
    public async Task A_second_login_displaces_the_first_whose_connection_is_told_where_from_and_nobody_sees_a_logout()
    {
        var seas = await _core.OnlineAsync("seas");
        var first = await _core.OnlineAsync("columbia", address: "10.0.0.1");

        var second = await _core.OnlineAsync("columbia", address: "10.0.0.2");

        Assert.Equal(new SessionEnd(LogoutReason.Displaced, "10.0.0.2"), _core.ConnectionOf(first).ClosedWith);
        Assert.False(_core.Session(first).IsActive);
        Assert.False(await _core.Sessions.HeartbeatAsync(_core.Session(first)));
        await _core.Sessions.LogoutAsync(_core.Session(first), LogoutReason.Disconnected);
        Assert.DoesNotContain(new PresenceNotice("columbia", false), _core.PresenceFor(seas));
        Assert.True(await _core.Sessions.HeartbeatAsync(_core.Session(second)));
        Assert.Equal(SendOutcome.Delivered, (await Router.SendAsync("seas", "columbia", "to the new one")).Outcome);
        Assert.Single(_core.MessagesFor(second));
        Assert.Empty(_core.MessagesFor(first));
    }

    [Fact]
    public async Task A_silent_session_expires_its_connection_is_closed_and_others_see_it_leave()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        _core.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(await _core.Sessions.HeartbeatAsync(_core.Session(seas)));
        _core.Time.Advance(TimeSpan.FromSeconds(16));

        Assert.Equal(1, await _core.Sessions.ExpireAsync());

        Assert.Equal(new SessionEnd(LogoutReason.Expired), _core.ConnectionOf(columbia).ClosedWith);
        Assert.Null(_core.ConnectionOf(seas).ClosedWith);
        Assert.Equal(new PresenceNotice("columbia", false), _core.PresenceFor(seas)[^1]);
        Assert.Equal(1, _core.Sessions.Count);
        Assert.Equal(SendOutcome.StoredOffline, (await Router.SendAsync("seas", "columbia", "later")).Outcome);
    }

    [Fact]
    public async Task Logging_out_twice_announces_once()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");

        await _core.Sessions.LogoutAsync(_core.Session(columbia), LogoutReason.Requested);
        await _core.Sessions.LogoutAsync(_core.Session(columbia), LogoutReason.Disconnected);

        Assert.Single(_core.PresenceFor(seas), p => !p.Online);
        Assert.Single(_core.Events.OfType<UserLoggedOut>());
    }

    [Fact]
    public async Task A_failing_store_read_pauses_delivery_and_the_next_message_resumes_it()
    {
        var store = new ControlledStore();
        using var core = CoreHarness.Create(o => o.DeliveryWindow = Window, s => s.AddSingleton<IOfflineStore>(store));
        var router = core.Get<IMessageRouter>();
        await router.SendAsync("seas", "columbia", "one");
        store.FailReads = true;
        await Assert.ThrowsAsync<IOException>(() => core.OnlineAsync("columbia"));
        store.FailReads = false;

        var session = Assert.Single(core.Get<SessionRegistry>().All);
        await router.SendAsync("seas", "columbia", "two");

        await WaitForAsync(() => ((RecordingConnection)session.Connection).Notices.OfType<MessageNotice>().Count() == 2);
        Assert.Equal(["one", "two"], ((RecordingConnection)session.Connection).Notices.OfType<MessageNotice>().Select(n => n.Message.Text));
    }

    [Fact]
    public async Task An_acknowledgement_of_messages_not_yet_handed_over_deletes_nothing()
    {
        await SendManyAsync("seas", "columbia", Window + 2);
        var notYetSent = (await Offline.ReadAsync("columbia", Window, 10)).Select(s => s.Message.Id).ToList();
        var columbia = await _core.OnlineAsync("columbia");

        await _core.Sessions.AcknowledgeAsync(_core.Session(columbia), notYetSent);

        Assert.Equal(Window + 2, (await Offline.ReadAsync("columbia", 0, 100)).Count);
        Assert.Empty(_core.Events.OfType<MessagesAcknowledged>());
        await _core.Sessions.AcknowledgeAsync(_core.Session(columbia), [_core.MessagesFor(columbia)[0].Message.Id, .. notYetSent]);
        Assert.Equal(1, Assert.Single(_core.Events.OfType<MessagesAcknowledged>()).Count);
        Assert.Equal(Window + 1, (await Offline.ReadAsync("columbia", 0, 100)).Count);
    }

    [Fact]
    public async Task A_direct_message_to_a_session_not_yet_started_waits_for_the_start_and_then_comes_as_live()
    {
        var connection = new RecordingConnection();
        var login = await _core.Sessions.LoginAsync(connection, "columbia", CoreHarness.Passwords["columbia"]);

        var result = await Router.SendAsync("seas", "columbia", "early");

        Assert.Equal(SendOutcome.Queued, result.Outcome);
        Assert.Empty(connection.Notices);
        await _core.Sessions.StartAsync(login.Session!);
        var notice = Assert.IsType<MessageNotice>(Assert.Single(connection.Notices));
        Assert.Equal(("early", false), (notice.Message.Text, notice.FromOfflineStore));
    }

    [Fact]
    public async Task The_first_live_message_queued_behind_a_backlog_still_comes_as_live_and_the_backlog_as_kept()
    {
        await SendManyAsync("seas", "columbia", Window);
        var columbia = await _core.OnlineAsync("columbia");

        Assert.Equal(SendOutcome.Queued, (await Router.SendAsync("foobar", "columbia", "now")).Outcome);
        await AcknowledgeAllAsync(columbia, until: Window + 1);

        var messages = _core.MessagesFor(columbia);
        Assert.All(messages.Take(Window), m => Assert.True(m.FromOfflineStore));
        Assert.Equal(("now", false), (messages[^1].Message.Text, messages[^1].FromOfflineStore));
    }

    [Fact]
    public async Task Starting_twice_hands_nothing_over_twice()
    {
        await SendManyAsync("seas", "columbia", 3);
        var columbia = await _core.OnlineAsync("columbia");

        await _core.Sessions.StartAsync(_core.Session(columbia));

        Assert.Equal(3, _core.MessagesFor(columbia).Count);
    }

    [Fact]
    public async Task A_session_not_yet_started_holds_at_most_a_window_of_notices()
    {
        var connection = new RecordingConnection();
        var login = await _core.Sessions.LoginAsync(connection, "columbia", CoreHarness.Passwords["columbia"]);
        var session = login.Session!;

        // Presence is held apart, one per user (see the test on flips before start); anything else counts against the window.
        var outcomes = Enumerable.Range(0, Window + 1).Select(i => session.Post(new ConsentRequestNotice($"u{i}"))).ToList();

        Assert.All(outcomes.Take(Window), o => Assert.Equal(PostOutcome.Queued, o));
        Assert.Equal(PostOutcome.Full, outcomes[^1]);
        await _core.Sessions.StartAsync(session);
        Assert.Equal(Window, connection.Notices.Count);
    }

    [Fact]
    public async Task Hand_over_tries_a_refusing_connection_once_and_stops()
    {
        await SendManyAsync("seas", "columbia", 5);
        var attempts = 0;
        var connection = new RecordingConnection { Outcome = n => n is MessageNotice && ++attempts > 1 ? PostOutcome.Closed : PostOutcome.Queued };

        await _core.OnlineAsync("columbia", connection: connection);

        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task A_session_that_ends_while_its_hand_over_reads_the_store_is_handed_nothing_more()
    {
        var store = new ControlledStore();
        using var core = CoreHarness.Create(o => o.DeliveryWindow = Window, s => s.AddSingleton<IOfflineStore>(store));
        await core.Get<IMessageRouter>().SendAsync("seas", "columbia", "one");
        var connection = new RecordingConnection();
        var login = await core.Sessions.LoginAsync(connection, "columbia", CoreHarness.Passwords["columbia"]);
        store.Gate = new TaskCompletionSource();

        var starting = core.Sessions.StartAsync(login.Session!).AsTask();
        await core.Sessions.LogoutAsync(login.Session!, LogoutReason.Disconnected);
        store.Gate.SetResult();
        await starting;

        Assert.Empty(connection.Notices.OfType<MessageNotice>());
    }

    [Fact]
    public async Task A_failing_store_read_during_acknowledgements_resumes_at_the_next_acknowledgement()
    {
        var store = new ControlledStore();
        using var core = CoreHarness.Create(o => o.DeliveryWindow = 4, s => s.AddSingleton<IOfflineStore>(store));
        for (var i = 0; i < 12; i++)
        {
            await core.Get<IMessageRouter>().SendAsync("seas", "columbia", $"m{i}");
        }

        var columbia = await core.OnlineAsync("columbia");
        var session = core.Session(columbia);
        store.FailReads = true;
        await core.Sessions.AcknowledgeAsync(session, [.. core.MessagesFor(columbia).Take(2).Select(m => m.Message.Id)]);
        await WaitForAsync(() => store.FailedReads > 0);
        store.FailReads = false;

        await core.Sessions.AcknowledgeAsync(session, [.. core.MessagesFor(columbia).Skip(2).Take(2).Select(m => m.Message.Id)]);

        await WaitForAsync(() => core.MessagesFor(columbia).Count == 8);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"m{i}"), core.MessagesFor(columbia).Select(m => m.Message.Text));
    }

    [Fact]
    public async Task Withheld_messages_are_found_wherever_they_fall_in_a_page()
    {
        await Router.SendAsync("seas", "columbia", "by seas 1");
        await Router.SendAsync("foobar", "columbia", "by foobar");
        await Router.SendAsync("seas", "columbia", "by seas 2");
        await Blacklist.BlockAsync("columbia", "seas");

        var columbia = await _core.OnlineAsync("columbia");

        Assert.Equal(["by foobar"], _core.MessagesFor(columbia).Select(n => n.Message.Text));
        Assert.Equal(2, Assert.Single(_core.Events.OfType<OfflineMessagesWithheld>()).Count);
    }

    [Fact]
    public async Task A_takeover_leaves_one_session_and_ends_the_questions_put_to_the_old_one()
    {
        var seas = await _core.OnlineAsync("seas");
        await _core.OnlineAsync("columbia");
        await _core.Get<IConsentService>().RequestAsync(seas, "columbia");

        await _core.OnlineAsync("columbia", address: "10.0.0.2");

        Assert.Equal(2, _core.Sessions.Count);
        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.TargetLeft)], _core.NoticesFor(seas).OfType<ConsentRefusedNotice>());
    }

    [Fact]
    public async Task Logging_out_forgets_the_session_and_ends_its_open_questions()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        await _core.Get<IConsentService>().RequestAsync(seas, "columbia");

        await _core.Sessions.LogoutAsync(_core.Session(columbia), LogoutReason.Requested);

        Assert.Equal(1, _core.Sessions.Count);
        Assert.Null(_core.Get<SessionRegistry>().FindUser("columbia"));
        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.TargetLeft)], _core.NoticesFor(seas).OfType<ConsentRefusedNotice>());
        Assert.Equal(SendOutcome.StoredOffline, (await Router.SendAsync("seas", "columbia", "gone")).Outcome);
    }

    [Fact]
    public async Task Expiry_ends_the_open_questions_of_the_expired_session()
    {
        using var core = CoreHarness.Create(o => o.ConsentTimeout = TimeSpan.FromMinutes(5));
        var seas = await core.OnlineAsync("seas");
        await core.OnlineAsync("columbia");
        await core.Get<IConsentService>().RequestAsync(seas, "columbia");
        core.Time.Advance(TimeSpan.FromSeconds(50));
        await core.Sessions.HeartbeatAsync(core.Session(seas));
        core.Time.Advance(TimeSpan.FromSeconds(26));

        await core.Sessions.ExpireAsync();

        Assert.Equal([new ConsentRefusedNotice("columbia", ConsentRefusal.TargetLeft)], core.NoticesFor(seas).OfType<ConsentRefusedNotice>());
    }

    [Fact]
    public async Task The_online_list_is_sorted()
    {
        var seas = await _core.OnlineAsync("seas");
        await _core.OnlineAsync("foobar");
        await _core.OnlineAsync("columbia");
        await _core.OnlineAsync("csee4119");

        Assert.Equal(["columbia", "csee4119", "foobar", "seas"], await _core.Sessions.GetOnlineUsersAsync(_core.Session(seas)));
    }

    [Fact]
    public async Task Null_arguments_are_refused()
    {
        var columbia = _core.Session(await _core.OnlineAsync("columbia"));
        var sessions = _core.Sessions;

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await sessions.LoginAsync(null!, "columbia", "x"));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await sessions.StartAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await sessions.AcknowledgeAsync(null!, []));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await sessions.AcknowledgeAsync(columbia, null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await sessions.HeartbeatAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await sessions.LogoutAsync(null!, LogoutReason.Requested));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await sessions.GetOnlineUsersAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await Router.SendAsync("seas", "columbia", null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await Router.BroadcastAsync("seas", null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await Offline.AppendAsync("columbia", null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await Offline.AcknowledgeAsync("columbia", null!));
    }

    [Fact]
    public async Task A_logout_racing_a_new_login_of_the_same_user_cannot_leave_others_seeing_them_offline()
    {
        var blocks = new GatedBlockListStore();
        using var core = CoreHarness.Create(services: s => s.AddSingleton<IBlockListStore>(blocks));
        var foobar = await core.OnlineAsync("foobar");
        var first = await core.OnlineAsync("seas");

        // The old session's logout is announced slowly (held at its block-list lookup) while a new login of seas completes.
        blocks.HoldNextLookupBy("seas");
        var logout = core.Sessions.LogoutAsync(core.Session(first), LogoutReason.Requested).AsTask();
        await blocks.Held.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var login = core.OnlineAsync("seas");
        blocks.Release();
        await logout.WaitAsync(TimeSpan.FromSeconds(10));
        await login.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(new PresenceNotice("seas", true), core.PresenceFor(foobar)[^1]);
        Assert.Contains("seas", await core.Sessions.GetOnlineUsersAsync(core.Session(foobar)));
    }

    [Fact]
    public async Task A_takeover_is_not_announced_since_the_user_never_left()
    {
        var foobar = await _core.OnlineAsync("foobar");
        await _core.OnlineAsync("seas", address: "10.0.0.1");

        await _core.OnlineAsync("seas", address: "10.0.0.2");

        Assert.Equal([new PresenceNotice("seas", true)], _core.PresenceFor(foobar));
    }

    private async Task SendManyAsync(string from, string to, int count, int first = 0)
    {
        for (var i = first; i < first + count; i++)
        {
            var result = await Router.SendAsync(from, to, $"m{i}");
            Assert.NotEqual(SendOutcome.Refused, result.Outcome);
        }
    }

    // Acknowledges whatever arrives until `until` messages have, like a client reading at its own pace.
    private async Task AcknowledgeAllAsync(SessionInfo info, int until, Task? whileRunning = null)
    {
        var session = _core.Session(info);
        var acked = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (acked < until || whileRunning is { IsCompleted: false })
        {
            Assert.True(DateTime.UtcNow < deadline, $"stalled after {acked} of {until}");
            var messages = _core.MessagesFor(info);
            if (messages.Count > acked)
            {
                await _core.Sessions.AcknowledgeAsync(session, [.. messages.Skip(acked).Select(n => n.Message.Id)]);
                acked = messages.Count;
            }
            else
            {
                await Task.Yield();
            }
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Yield();
        }
    }

    /// <summary>Offline messages in memory, whose reads can be made to fail (<see cref="FailReads"/>) or wait (<see cref="Gate"/>).</summary>
    private sealed class ControlledStore : IOfflineStore
    {
        private readonly InMemoryOfflineStore _inner = new();
        private int _failedReads;

        public bool FailReads { get; set; }

        public int FailedReads => Volatile.Read(ref _failedReads);

        public TaskCompletionSource? Gate { get; set; }

        public ValueTask<long?> TryAppendAsync(string recipient, ChatMessage message, MailboxLimits limits, CancellationToken cancellationToken = default)
            => _inner.TryAppendAsync(recipient, message, limits, cancellationToken);

        public async ValueTask<IReadOnlyList<StoredMessage>> ReadAsync(string recipient, long afterSequence, int max, CancellationToken cancellationToken = default)
        {
            if (Gate is { } gate)
            {
                await gate.Task;
            }

            if (FailReads)
            {
                Interlocked.Increment(ref _failedReads);
                throw new IOException("disk gone");
            }

            return await _inner.ReadAsync(recipient, afterSequence, max, cancellationToken);
        }

        public ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default)
            => _inner.AcknowledgeAsync(recipient, ids, cancellationToken);
    }

    /// <summary>Block lists in memory; the next lookup by one owner can be held until the test releases it.</summary>
    private sealed class GatedBlockListStore : IBlockListStore
    {
        private readonly InMemoryBlockListStore _inner = new();
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _holdOwner;

        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void HoldNextLookupBy(string owner) => Volatile.Write(ref _holdOwner, owner);

        public void Release() => _release.TrySetResult();

        public ValueTask<bool> AddAsync(string owner, string target, CancellationToken cancellationToken = default) => _inner.AddAsync(owner, target, cancellationToken);

        public ValueTask<bool> RemoveAsync(string owner, string target, CancellationToken cancellationToken = default) => _inner.RemoveAsync(owner, target, cancellationToken);

        public async ValueTask<bool> ContainsAsync(string owner, string target, CancellationToken cancellationToken = default)
        {
            await HoldAsync(owner);
            return await _inner.ContainsAsync(owner, target, cancellationToken);
        }

        public async ValueTask<IReadOnlyCollection<string>> ListAsync(string owner, CancellationToken cancellationToken = default)
        {
            await HoldAsync(owner);
            return await _inner.ListAsync(owner, cancellationToken);
        }

        private async Task HoldAsync(string owner)
        {
            if (owner == Volatile.Read(ref _holdOwner) && Interlocked.CompareExchange(ref _holdOwner, null, owner) == owner)
            {
                Held.TrySetResult();
                await _release.Task;
            }
        }
    }
}

/// <summary>Block lists in memory that count how often they are asked.</summary>
internal sealed class CountingBlockListStore : IBlockListStore
{
    private readonly InMemoryBlockListStore _inner = new();
    private int _contains;
    private int _lists;

    public int Contains => Volatile.Read(ref _contains);

    public int Lists => Volatile.Read(ref _lists);

    public void Reset()
    {
        Volatile.Write(ref _contains, 0);
        Volatile.Write(ref _lists, 0);
    }

    public ValueTask<bool> AddAsync(string owner, string target, CancellationToken cancellationToken = default) => _inner.AddAsync(owner, target, cancellationToken);

    public ValueTask<bool> RemoveAsync(string owner, string target, CancellationToken cancellationToken = default) => _inner.RemoveAsync(owner, target, cancellationToken);

    public ValueTask<bool> ContainsAsync(string owner, string target, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _contains);
        return _inner.ContainsAsync(owner, target, cancellationToken);
    }

    public ValueTask<IReadOnlyCollection<string>> ListAsync(string owner, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _lists);
        return _inner.ListAsync(owner, cancellationToken);
    }
}
