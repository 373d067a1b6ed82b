using System.Net;
using ChatRoom.Auth;
using ChatRoom.Client;
using ChatRoom.Offline;
using ChatRoom.Protocol;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatRoom.Networking.Tests.Client;

/// <summary>
/// A client given several servers survives losing one: it logs in again elsewhere with backoff, as the same client, and
/// shows each message once. Servers are real, on 127.0.0.1; a <see cref="TcpRelay"/> in front of one plays its death.
/// </summary>
public sealed class ReconnectTests
{
    [Fact]
    public async Task When_its_server_dies_the_client_resumes_on_another_and_shows_each_unacknowledged_message_once()
    {
        var store = new InMemoryOfflineStore();
        await using var b = await StartAsync(store);
        var a = await StartAsync(store);
        var aDisposed = false;
        await using var relay = TcpRelay.Start(a.Port);
        try
        {
            var (seas, _) = await a.LoginAsync("seas");
            await using var columbia = await ChatClient.ConnectAsync(Reconnecting(b, relay.EndPoint, At(b)) with { AutoAcknowledge = false });
            var inbox = await LogInAsync(columbia, "columbia");
            foreach (var text in new[] { "one", "two", "three" })
            {
                Assert.Equal(SendOutcome.Delivered, (await seas.SendAsync("columbia", text)).Outcome);
            }

            columbia.Acknowledge(await inbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "one"));
            await inbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "three");
            await columbia.HeartbeatAsync(); // acknowledgements go out ahead of later commands: A has the one for "one"

            relay.Kill();
            await a.DisposeAsync();
            aDisposed = true;

            var reconnected = await inbox.WaitForAsync<ReconnectedNotice>();
            Assert.Equal($"127.0.0.1:{b.Port}", reconnected.Server);
            Assert.Equal($"127.0.0.1:{b.Port}", columbia.Server);
            var (google, _) = await b.LoginAsync("google");
            // Online at B: delivered, or queued behind the messages B is handing over again.
            Assert.Contains((await google.SendAsync("columbia", "four")).Outcome, new[] { SendOutcome.Delivered, SendOutcome.Queued });
            await inbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "four");

            // "two" and "three" were handed over again by B (never acknowledged) and dropped as already shown.
            Assert.Equal(["one", "two", "three", "four"], inbox.OfType<MessageNotice>().Select(m => m.Message.Text));
            Assert.Equal(2, columbia.DuplicatesSuppressed);
            Assert.Equal(new ReconnectingNotice(1, TimeSpan.Zero, "connection-lost"), inbox.OfType<ReconnectingNotice>().First());
            var order = inbox.Received.ToList();
            Assert.True(order.IndexOf(inbox.OfType<ReconnectingNotice>().First()) < order.IndexOf(reconnected));
            Assert.True(order.IndexOf(reconnected) < order.FindIndex(n => n is MessageNotice { Message.Text: "four" }));
            Assert.Equal("columbia", columbia.User);
            Assert.Contains("google", await columbia.GetOnlineUsersAsync());
            Assert.DoesNotContain(inbox.Received, n => n is DisconnectedNotice);
        }
        finally
        {
            if (!aDisposed)
            {
                await a.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_server_that_shuts_down_sends_its_clients_to_another_node()
    {
        var store = new InMemoryOfflineStore();
        await using var b = await StartAsync(store);
        var a = await StartAsync(store);
        await using var columbia = await ChatClient.ConnectAsync(Reconnecting(b, At(a), At(b)));
        var inbox = await LogInAsync(columbia, "columbia");

        await a.DisposeAsync();

        Assert.Equal("shutdown", (await inbox.WaitForAsync<ByeNotice>()).Reason);
        Assert.Equal("shutdown", (await inbox.WaitForAsync<ReconnectingNotice>()).Reason);
        Assert.Equal($"127.0.0.1:{b.Port}", (await inbox.WaitForAsync<ReconnectedNotice>()).Server);
        Assert.Equal(["columbia"], await columbia.GetOnlineUsersAsync());
    }

    [Fact]
    public async Task A_command_in_flight_when_the_connection_dies_fails_clearly_and_is_not_sent_again()
    {
        var store = new InMemoryOfflineStore();
        await using var a = await StartAsync(store);
        await using var b = await StartAsync(store);
        await using var relay = TcpRelay.Start(a.Port);
        var (_, seasInbox) = await b.LoginAsync("seas");
        await using var columbia = await ChatClient.ConnectAsync(Reconnecting(b, relay.EndPoint, At(b)));
        var inbox = await LogInAsync(columbia, "columbia");

        relay.Hold();
        var sending = columbia.SendAsync("seas", "maybe");
        relay.Kill();

        var failed = await Assert.ThrowsAsync<ChatConnectionException>(() => sending);
        Assert.Contains("may or may not have been carried out", failed.Message, StringComparison.Ordinal);
        await inbox.WaitForAsync<ReconnectedNotice>();
        Assert.Equal(SendOutcome.Delivered, (await columbia.SendAsync("seas", "after")).Outcome);
        await seasInbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "after");
        Assert.DoesNotContain(seasInbox.OfType<MessageNotice>(), m => m.Message.Text == "maybe");
    }

    [Fact]
    public async Task A_command_made_while_reconnecting_waits_for_the_new_connection()
    {
        var store = new InMemoryOfflineStore();
        await using var a = await StartAsync(store);
        await using var b = await StartAsync(store);
        await using var relayA = TcpRelay.Start(a.Port);
        await using var relayB = TcpRelay.Start(b.Port);
        await using var columbia = await ChatClient.ConnectAsync(Reconnecting(b, relayA.EndPoint, relayB.EndPoint));
        var inbox = await LogInAsync(columbia, "columbia");
        relayB.Hold();

        relayA.Kill();
        await inbox.WaitForAsync<ReconnectingNotice>();
        var online = columbia.GetOnlineUsersAsync();

        await Assert.ThrowsAsync<TimeoutException>(() => online.WaitAsync(TimeSpan.FromMilliseconds(200)));
        relayB.Release();
        Assert.Equal(["columbia"], await online.WaitAsync(TestServer.Wait));
        Assert.Equal($"127.0.0.1:{relayB.Port}", (await inbox.WaitForAsync<ReconnectedNotice>()).Server);
    }

    [Fact]
    public async Task A_command_made_while_reconnecting_fails_clearly_when_the_connection_is_not_back_within_the_request_timeout()
    {
        await using var server = await StartAsync(new InMemoryOfflineStore());
        await using var relay = TcpRelay.Start(server.Port);
        await using var held = TcpRelay.Start(server.Port);
        held.Hold();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        await using var columbia = await ChatClient.ConnectAsync(Reconnecting(server, relay.EndPoint, held.EndPoint) with
        {
            TimeProvider = time,
            RequestTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromMinutes(1),
        });
        var inbox = await LogInAsync(columbia, "columbia");

        relay.Kill();
        await inbox.WaitForAsync<ReconnectingNotice>();
        var online = columbia.GetOnlineUsersAsync();
        for (var round = 0; round < 100 && !online.IsCompleted; round++)
        {
            // The wait's timer may be set after a move of the clock; the next move fires it.
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(online, Task.Delay(TimeSpan.FromMilliseconds(20)));
        }

        var failed = await Assert.ThrowsAsync<ChatConnectionException>(() => online);
        Assert.StartsWith("online not sent: the connection to the server was lost", failed.Message, StringComparison.Ordinal);
        Assert.Empty(inbox.OfType<ReconnectedNotice>());
    }

    [Fact]
    public async Task A_displaced_client_does_not_reconnect()
    {
        await using var server = await StartAsync(new InMemoryOfflineStore());
        await using var first = await ChatClient.ConnectAsync(Reconnecting(server, At(server)));
        var inbox = await LogInAsync(first, "seas");

        await server.LoginAsync("seas");

        Assert.Equal("displaced", (await inbox.WaitForAsync<DisconnectedNotice>()).Reason);
        Assert.Empty(inbox.OfType<ReconnectingNotice>());
        await Assert.ThrowsAsync<ChatConnectionException>(() => first.GetOnlineUsersAsync());
    }

    [Fact]
    public async Task A_client_that_logs_out_does_not_reconnect()
    {
        await using var server = await StartAsync(new InMemoryOfflineStore());
        await using var client = await ChatClient.ConnectAsync(Reconnecting(server, At(server)));
        var inbox = await LogInAsync(client, "seas");

        await client.LogoutAsync();

        Assert.Equal("logout", (await inbox.WaitForAsync<DisconnectedNotice>()).Reason);
        Assert.Empty(inbox.OfType<ReconnectingNotice>());
    }

    [Fact]
    public async Task A_refused_login_on_reconnect_stops_reconnecting_and_says_why()
    {
        var changed = new Dictionary<string, string>(TestServer.Passwords) { ["columbia"] = "changed" };
        await using var a = await StartAsync(new InMemoryOfflineStore());
        await using var b = await TestServer.StartAsync(services: s => s.AddChatRoomCredentials(changed), transport: TestTransport.Sockets);
        await using var relay = TcpRelay.Start(a.Port);
        await using var columbia = await ChatClient.ConnectAsync(Reconnecting(b, relay.EndPoint, At(b)));
        var inbox = await LogInAsync(columbia, "columbia");

        relay.Kill();

        var refused = await inbox.WaitForAsync<ReconnectRefusedNotice>();
        Assert.IsType<LoginInvalid>(refused.Result);
        Assert.Equal("login-refused", (await inbox.WaitForAsync<DisconnectedNotice>()).Reason);
        Assert.Single(inbox.OfType<ReconnectingNotice>());
    }

    [Fact]
    public async Task The_wait_between_attempts_grows_to_the_cap_and_no_further_and_the_attempts_run_out()
    {
        await using var server = await StartAsync(new InMemoryOfflineStore());
        await using var relay = TcpRelay.Start(server.Port);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var cap = TimeSpan.FromSeconds(8);
        await using var client = await ChatClient.ConnectAsync(server.ClientOptions with
        {
            Servers = [relay.EndPoint],
            TimeProvider = time,
            Reconnect = new ChatClientReconnectOptions { FirstDelay = TimeSpan.FromSeconds(1), MaxDelay = cap, MaxAttempts = 12, GiveUpAfter = TimeSpan.FromDays(1) },
        });
        var inbox = await LogInAsync(client, "seas");

        relay.Kill();
        var end = await AdvanceUntilAsync<DisconnectedNotice>(inbox, time);

        Assert.Equal("connection-lost", end.Reason);
        var attempts = inbox.OfType<ReconnectingNotice>().ToList();
        Assert.Equal(Enumerable.Range(1, 12), attempts.Select(n => n.Attempt));
        Assert.All(attempts.Skip(1), n => Assert.InRange(n.Delay, TimeSpan.FromTicks(1), cap));
        Assert.Contains(attempts, n => n.Delay > cap / 2);
        Assert.All(attempts.Skip(1), n => Assert.StartsWith($"cannot connect to 127.0.0.1:{relay.Port}", n.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reconnecting_gives_up_after_the_time_given_and_the_stream_ends_as_lost()
    {
        await using var server = await StartAsync(new InMemoryOfflineStore());
        await using var relay = TcpRelay.Start(server.Port);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        await using var client = await ChatClient.ConnectAsync(server.ClientOptions with
        {
            Servers = [relay.EndPoint],
            TimeProvider = time,
            Reconnect = new ChatClientReconnectOptions { FirstDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(2), GiveUpAfter = TimeSpan.FromSeconds(30) },
        });
        var inbox = await LogInAsync(client, "seas");

        relay.Kill();
        var end = await AdvanceUntilAsync<DisconnectedNotice>(inbox, time);

        Assert.Equal("connection-lost", end.Reason);
        Assert.InRange(inbox.OfType<ReconnectingNotice>().Count(), 2, 60);
        await Assert.ThrowsAsync<ChatConnectionException>(() => client.GetOnlineUsersAsync());
    }

    [Fact]
    public async Task Connect_takes_the_first_server_that_answers_and_names_every_failure_when_none_does()
    {
        await using var server = await StartAsync(new InMemoryOfflineStore());
        var dead = TcpRelay.Start(server.Port);
        var deadPort = dead.Port;
        await dead.DisposeAsync();

        await using var client = await ChatClient.ConnectAsync(server.ClientOptions with { Servers = [new DnsEndPoint("127.0.0.1", deadPort), At(server)] });
        Assert.Equal($"127.0.0.1:{server.Port}", client.Server);

        var none = await Assert.ThrowsAsync<ChatConnectionException>(() => ChatClient.ConnectAsync(server.ClientOptions with
        {
            Servers = [new DnsEndPoint("127.0.0.1", deadPort), new DnsEndPoint("127.0.0.1", deadPort)],
        }));
        Assert.StartsWith("cannot connect to any of 2 servers: cannot connect to 127.0.0.1:", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_without_a_port_is_refused_naming_the_option()
    {
        var options = new ChatClientOptions { Servers = [new DnsEndPoint("localhost", 5566), new DnsEndPoint("localhost", 0)] };

        Assert.Contains("Servers", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_reconnect_settings_are_refused_naming_the_option()
    {
        Assert.Contains("MaxDelay", Assert.Throws<ArgumentException>(new ChatClientOptions { Reconnect = new() { FirstDelay = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromSeconds(1) } }.Validate).Message, StringComparison.Ordinal);
        Assert.Contains("MaxAttempts", Assert.Throws<ArgumentException>(new ChatClientOptions { Reconnect = new() { MaxAttempts = 0 } }.Validate).Message, StringComparison.Ordinal);
        Assert.Contains("GiveUpAfter", Assert.Throws<ArgumentException>(new ChatClientOptions { Reconnect = new() { GiveUpAfter = TimeSpan.Zero } }.Validate).Message, StringComparison.Ordinal);
    }

    private static Task<TestServer> StartAsync(IOfflineStore store)
        => TestServer.StartAsync(services: s => s.AddSingleton(store), transport: TestTransport.Sockets);

    private static DnsEndPoint At(TestServer server) => new("127.0.0.1", server.Port);

    private static ChatClientOptions Reconnecting(TestServer any, params DnsEndPoint[] servers) => any.ClientOptions with
    {
        Servers = servers,
        Reconnect = new ChatClientReconnectOptions { FirstDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200), GiveUpAfter = TestServer.Wait },
    };

    private static async Task<Inbox> LogInAsync(ChatClient client, string user)
    {
        var inbox = new Inbox(client);
        Assert.Equal(new LoginSuccess(user), await client.LoginAsync(user, TestServer.Passwords[user]));
        return inbox;
    }

    // Moves the fake clock on by the last announced wait until a T arrives; a wait whose timer was not set yet when the
    // clock moved is fired by the next move.
    private static async Task<T> AdvanceUntilAsync<T>(Inbox inbox, FakeTimeProvider time)
        where T : SessionNotice
    {
        for (var round = 0; round < 500; round++)
        {
            try
            {
                return await inbox.WaitForAsync<T>(timeout: TimeSpan.FromMilliseconds(50));
            }
            catch (TimeoutException)
            {
                var last = inbox.OfType<ReconnectingNotice>().LastOrDefault();
                time.Advance(last is { Delay: var d } && d > TimeSpan.Zero ? d : TimeSpan.FromMilliseconds(100));
            }
        }

        throw new TimeoutException($"no {typeof(T).Name}");
    }
}
