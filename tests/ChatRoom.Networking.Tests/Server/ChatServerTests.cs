using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Client;
using ChatRoom.Messaging;
using ChatRoom.Protocol;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Server;

public sealed class ChatServerTests
{
    [Fact]
    public async Task The_seed_sample_session_works_end_to_end()
    {
        await using var server = await TestServer.StartAsync();
        var (columbia, columbiaInbox) = await server.LoginAsync("columbia");
        var (seas, _) = await server.LoginAsync("seas");
        await columbiaInbox.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: true });

        Assert.Equal(["columbia", "seas"], await seas.GetOnlineUsersAsync());

        var sent = await seas.SendAsync("columbia", "123");
        Assert.Equal(SendOutcome.Delivered, sent.Outcome);
        var direct = await columbiaInbox.WaitForAsync<MessageNotice>(m => m.Message.Kind == MessageKind.Direct);
        Assert.Equal(("seas", "columbia", "123", sent.MessageId), (direct.Message.From, direct.Message.To, direct.Message.Text, (MessageId?)direct.Message.Id));

        var broadcast = await seas.BroadcastAsync("321");
        Assert.Equal(1, broadcast.Recipients);
        Assert.Equal("321", (await columbiaInbox.WaitForAsync<MessageNotice>(m => m.Message.Kind == MessageKind.Broadcast)).Message.Text);

        Assert.Equal(BlockResult.Blocked, await seas.BlockAsync("columbia"));
        Assert.Equal(BlockResult.UnknownUser, await seas.BlockAsync("nobody"));
        Assert.Equal(UnblockResult.Unblocked, await seas.UnblockAsync("columbia"));
        Assert.Equal(UnblockResult.NotBlocked, await seas.UnblockAsync("columbia"));

        await seas.LogoutAsync();
        await columbiaInbox.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: false });
        Assert.Contains(server.Logs.Lines, l => l.Contains("Logout: seas (Requested)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Three_wrong_passwords_lock_the_name_until_the_block_time_has_passed()
    {
        // The same connection waits out the lock, so its login deadline must be longer than the block time.
        await using var server = await TestServer.StartAsync(server: o => o.LoginTimeout = TimeSpan.FromMinutes(5));
        var client = await server.ConnectAsync();

        Assert.Equal(new LoginInvalid(2), await client.LoginAsync("seas", "x"));
        Assert.Equal(new LoginInvalid(1), await client.LoginAsync("seas", "x"));
        Assert.Equal(new LoginLocked(TimeSpan.FromSeconds(60)), await client.LoginAsync("seas", "x"));
        Assert.Equal(new LoginLocked(TimeSpan.FromSeconds(60)), await client.LoginAsync("seas", "summerisover"));

        server.Time.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal(new LoginSuccess("seas"), await client.LoginAsync("seas", "summerisover"));
        Assert.Contains(server.Logs.Lines, l => l.Contains("Login locked: seas", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_login_takes_over_and_the_first_session_is_told_the_new_address_and_closed()
    {
        await using var server = await TestServer.StartAsync();
        var (columbia, columbiaInbox) = await server.LoginAsync("columbia");
        var (first, firstInbox) = await server.LoginAsync("seas");
        var (second, _) = await server.LoginAsync("seas");

        Assert.Equal("127.0.0.1", (await firstInbox.WaitForAsync<DisplacedNotice>()).NewAddress);
        Assert.Equal("displaced", (await firstInbox.WaitForAsync<DisconnectedNotice>()).Reason);
        Assert.Equal(SendOutcome.Delivered, (await second.SendAsync("columbia", "still here")).Outcome);
        await columbiaInbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "still here");
        Assert.DoesNotContain(columbiaInbox.OfType<PresenceNotice>(), p => p is { User: "seas", Online: false });
        Assert.Equal(SendOutcome.Delivered, (await columbia.SendAsync("seas", "to the new one")).Outcome);
    }

    [Fact]
    public async Task Offline_messages_are_delivered_at_login_oldest_first_before_anything_newer()
    {
        await using var server = await TestServer.StartAsync();
        var (seas, _) = await server.LoginAsync("seas");
        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal(SendOutcome.StoredOffline, (await seas.SendAsync("columbia", $"stored {i}")).Outcome);
        }

        var (columbia, columbiaInbox) = await server.LoginAsync("columbia");
        await seas.SendAsync("columbia", "live");
        await columbiaInbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "live");

        // "live" may race the hand-over (it is stored before it is sent): either way it comes once, and last.
        var messages = columbiaInbox.OfType<MessageNotice>().ToList();
        Assert.Equal(["stored 1", "stored 2", "stored 3", "live"], messages.Select(m => m.Message.Text));
        Assert.Equal([true, true, true], messages.Take(3).Select(m => m.FromOfflineStore));
        Assert.Equal(0, columbia.DuplicatesSuppressed);
    }

    [Fact]
    public async Task A_broadcast_skips_users_who_blocked_the_sender_and_the_sender_is_told_how_many()
    {
        await using var server = await TestServer.StartAsync();
        var (seas, _) = await server.LoginAsync("seas");
        var (_, columbiaInbox) = await server.LoginAsync("columbia");
        var (foobar, foobarInbox) = await server.LoginAsync("foobar");
        await foobar.BlockAsync("seas");

        var receipt = await seas.BroadcastAsync("hello all");
        await columbia_receives(columbiaInbox);
        await foobar.SendAsync("foobar", "marker");
        await foobarInbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "marker");

        Assert.Equal(1, receipt.Recipients);
        Assert.DoesNotContain(foobarInbox.OfType<MessageNotice>(), m => m.Message.Text == "hello all");

        static Task columbia_receives(Inbox inbox) => inbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "hello all");
    }

    [Fact]
    public async Task A_blocked_user_sees_neither_presence_nor_online_listing_of_the_blocker_and_cannot_message_them()
    {
        await using var server = await TestServer.StartAsync();
        var (columbia, columbiaInbox) = await server.LoginAsync("columbia");
        var (_, foobarInbox) = await server.LoginAsync("foobar");
        var (seas, _) = await server.LoginAsync("seas");
        await foobarInbox.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: true });
        await seas.BlockAsync("columbia");

        // The block hides seas from columbia at once, so columbia's view is never stale...
        await columbiaInbox.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: false });
        Assert.DoesNotContain("seas", await columbia.GetOnlineUsersAsync());
        Assert.Equal(new SendReceipt(SendOutcome.Refused, null, RefusalReason.Blocked), await columbia.SendAsync("seas", "hi"));

        // ...and seas' real logout later tells columbia nothing more.
        await seas.LogoutAsync();
        await foobarInbox.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: false });
        await columbia.SendAsync("columbia", "marker");
        await columbiaInbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "marker");
        Assert.Single(columbiaInbox.OfType<PresenceNotice>(), p => p is { User: "seas", Online: false });
    }

    [Fact]
    public async Task A_silent_client_is_logged_out_when_its_heartbeat_times_out_and_others_are_told()
    {
        await using var server = await TestServer.StartAsync(core: o => o.HeartbeatTimeout = TimeSpan.FromSeconds(75));
        var (columbia, columbiaInbox) = await server.LoginAsync("columbia");
        var (_, seasInbox) = await server.LoginAsync("seas");

        server.Time.Advance(TimeSpan.FromSeconds(40));
        await columbia.HeartbeatAsync();
        server.Time.Advance(TimeSpan.FromSeconds(40));

        var bye = await seasInbox.WaitForAsync<ByeNotice>();
        Assert.Equal("expired", bye.Reason);
        Assert.Contains("no heartbeat for 75 s, or this server lost touch with the others", bye.Text, StringComparison.Ordinal);
        await seasInbox.WaitForAsync<DisconnectedNotice>();
        await columbiaInbox.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: false });
        Assert.Equal(["columbia"], await columbia.GetOnlineUsersAsync());
        Assert.Contains(server.Logs.Lines, l => l.Contains("Logout: seas (Expired)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_that_drops_its_connection_is_logged_out_at_once()
    {
        await using var server = await TestServer.StartAsync();
        var (_, columbiaInbox) = await server.LoginAsync("columbia");
        var (seas, _) = await server.LoginAsync("seas");

        await seas.DisposeAsync();

        await columbiaInbox.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: false });
        Assert.Contains(server.Logs.Lines, l => l.Contains("Logout: seas (Disconnected)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_disconnected_without_slowing_the_others()
    {
        await using var server = await TestServer.StartAsync(core: o => o.DeliveryWindow = 8, server: o => o.OutboundQueueCapacity = 16, transport: TestTransport.Sockets);
        var stalled = await server.ConnectRawAsync();
        stalled.Socket.ReceiveBufferSize = 4096;
        await stalled.SendAsync("login columbia 116bway\n");
        await stalled.ExpectAsync("ok login");
        var (seas, _) = await server.LoginAsync("seas");

        // foobar keeps out of the flood (it blocked its sender), so only the stalled reader is flooded; with a 16-line
        // queue, a reader that does read could otherwise be cut too on a busy machine.
        var (foobar, foobarInbox) = await server.LoginAsync("foobar");
        await foobar.BlockAsync("seas");
        var text = new string('x', 4000);

        // Broadcasts are not windowed: flood the reader that never reads until the server gives up on it (bounded in count).
        var stalledGone = false;
        for (var i = 0; i < 20_000 && !stalledGone; i++)
        {
            var receipt = await seas.BroadcastAsync(text);
            stalledGone = receipt.Recipients == 0;
        }

        var (google, _) = await server.LoginAsync("google");
        await google.SendAsync("foobar", "still fast");
        await foobarInbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "still fast");
        Assert.DoesNotContain(foobarInbox.Received, n => n is DisconnectedNotice);

        Assert.True(stalledGone);
        Assert.Contains(server.Logs.Lines, l => l.Contains("Disconnected slow reader", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stopping_the_server_tells_connected_clients()
    {
        var server = await TestServer.StartAsync();
        var (_, inbox) = await server.LoginAsync("seas");

        await server.Server.StopAsync();

        Assert.Equal("shutdown", (await inbox.WaitForAsync<ByeNotice>()).Reason);
        Assert.Equal("shutdown", (await inbox.WaitForAsync<DisconnectedNotice>()).Reason);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Getaddress_with_consent_hands_the_address_to_the_requester()
    {
        await using var server = await TestServer.StartAsync();
        var (seas, seasInbox) = await server.LoginAsync("seas");
        var (columbia, columbiaInbox) = await server.LoginAsync("columbia", server.ClientOptions with { PeerPort = 45678 });

        Assert.True((await seas.RequestAddressAsync("columbia")).Asked);
        await columbiaInbox.WaitForAsync<ConsentRequestNotice>(r => r.Requester == "seas");
        await columbia.AnswerConsentAsync("seas", allow: true);

        var granted = await seasInbox.WaitForAsync<AddressGrantedNotice>();
        Assert.Equal(("127.0.0.1", 45678, "seas", "columbia"), (granted.Address, granted.Port, granted.Grant.Requester, granted.Grant.Target));
        Assert.Equal(granted.Grant, (await columbiaInbox.WaitForAsync<ConsentConfirmedNotice>()).Grant);
    }
}
