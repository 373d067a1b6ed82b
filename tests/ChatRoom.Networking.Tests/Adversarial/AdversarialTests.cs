using System.Net;
using System.Net.Sockets;
using System.Text;
using ChatRoom.Auth;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Peer;
using ChatRoom.Sessions;
using ChatRoom.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using System.Globalization;

namespace ChatRoom.Networking.Tests.Adversarial;

/// <summary>
/// Attacks from outside, over real TCP on loopback, each while two ordinary users keep chatting: the server must not
/// crash, must lose nothing it accepted, and must keep the pair's round trip under <see cref="RoundTripBound"/>.
/// Every attack is bounded in count and time so the suite runs in CI.
/// </summary>
[Trait("Category", "Adversarial")]
public sealed class AdversarialTests
{
    // Generous for a loaded 2-core CI box; an attack that stalls the server shows up as seconds, not milliseconds.
    private static readonly TimeSpan RoundTripBound = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Garbage_on_many_connections_does_not_disturb_a_chat()
    {
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var chat = await LegitimateChat.StartAsync(server);

        var random = new Random(4119);
        var attackers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => server.ConnectRawAsync()));
        for (var round = 0; round < 20; round++)
        {
            foreach (var attacker in attackers)
            {
                var junk = new byte[4096];
                random.NextBytes(junk);
                await SendIgnoringResetAsync(attacker, junk);
            }

            await chat.WaitForRoundTripsAsync(1);
        }

        await chat.StopAndAssertAsync(RoundTripBound, atLeast: 20);
    }

    [Fact]
    public async Task A_ten_megabyte_line_is_refused_while_a_chat_goes_on()
    {
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var chat = await LegitimateChat.StartAsync(server);
        var attacker = await server.ConnectRawAsync();
        await attacker.ExpectAsync("hello");

        var chunk = Encoding.ASCII.GetBytes(new string('x', 1024 * 1024));
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await attacker.SendAsync(chunk);
            }

            await attacker.SendAsync("\n#after help\n");
        });

        Assert.StartsWith("error line-too-long", await attacker.ExpectAsync("error"), StringComparison.Ordinal);
        await sending;
        Assert.StartsWith("ok #after help", await attacker.ExpectAsync("ok #after"), StringComparison.Ordinal);
        await chat.WaitForRoundTripsAsync(5);
        await chat.StopAndAssertAsync(RoundTripBound, atLeast: 5);
    }

    [Fact]
    public async Task Parallel_wrong_password_logins_do_not_touch_the_logged_in_owner()
    {
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var chat = await LegitimateChat.StartAsync(server);

        // Guesses at the answerer's name and at a name nobody has, 100 at once.
        var guesses = Enumerable.Range(0, 100).Select(async i =>
        {
            await using var guesser = await server.ConnectAsync();
            return await guesser.LoginAsync(i % 2 == 0 ? "seas" : "nobody" + i, "guess" + i);
        });
        var results = await Task.WhenAll(guesses);

        Assert.All(results, r => Assert.IsNotType<LoginSuccess>(r));
        await chat.WaitForRoundTripsAsync(5);
        await chat.StopAndAssertAsync(RoundTripBound, atLeast: 5);
    }

    [Fact]
    public async Task Half_a_line_then_silence_on_many_connections_is_closed_at_the_login_deadline()
    {
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var chat = await LegitimateChat.StartAsync(server);
        var deadline = server.Services.GetRequiredService<IOptions<ChatServerOptions>>().Value.LoginTimeout;

        var stalled = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            var raw = await server.ConnectRawAsync();
            await raw.ExpectAsync("hello");
            await raw.SendAsync("login se");
            return raw;
        }));
        await chat.WaitForRoundTripsAsync(3);

        server.Time.Advance(deadline + TimeSpan.FromSeconds(1));

        foreach (var raw in stalled)
        {
            Assert.StartsWith("bye login-timeout", await raw.ExpectAsync("bye"), StringComparison.Ordinal);
            Assert.Null(await raw.ReadLineAsync());
        }

        await chat.WaitForRoundTripsAsync(3);
        await chat.StopAndAssertAsync(RoundTripBound, atLeast: 6);
    }

    [Fact]
    public async Task A_thousand_connections_from_one_address_meet_the_cap_and_nobody_else_notices()
    {
        const int cap = 200;
        await using var server = await TestServer.StartAsync(server: o => o.MaxConnectionsPerAddress = cap, transport: TestTransport.Sockets);
        var chat = await LegitimateChat.StartAsync(server);

        // From another loopback address than the pair's, so the cap is the attacker's alone.
        var firstLines = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
        {
            var raw = await server.ConnectRawAsync("127.0.0.3");
            return await raw.ReadLineAsync();
        }));

        Assert.Equal(cap, firstLines.Count(l => l!.StartsWith("hello", StringComparison.Ordinal)));
        Assert.Equal(1000 - cap, firstLines.Count(l => l!.StartsWith($"error too-many-connections address {cap}", StringComparison.Ordinal)));

        // The pair's address is not the attacker's: a third user still gets in.
        var (_, _) = await server.LoginAsync("foobar");
        await chat.WaitForRoundTripsAsync(5);
        await chat.StopAndAssertAsync(RoundTripBound, atLeast: 5);
    }

    [Fact]
    public async Task A_message_flood_is_refused_beyond_the_rate_and_every_message_it_was_told_ok_for_arrives()
    {
        await using var server = await TestServer.StartAsync(
            server: o =>
            {
                o.MessagesPerSecond = 1000;
                o.MaxRefusedLines = 100_000;
            },
            transport: TestTransport.Sockets);
        var chat = await LegitimateChat.StartAsync(server);
        var flooder = await server.ConnectRawAsync();
        await flooder.ExpectAsync("hello");
        await flooder.SendAsync("login foobar passpass\n");
        await flooder.ExpectAsync("ok login");

        // 5,000 messages to an offline user in one burst; the fake clock does not move, so only the bucket passes.
        const int sent = 5000;
        var burst = new StringBuilder();
        for (var i = 0; i < sent; i++)
        {
            burst.Append(CultureInfo.InvariantCulture, $"#f{i} message google flood {i}\n");
        }

        await flooder.SendAsync(burst.ToString());
        var accepted = new List<int>();
        var refused = 0;
        for (var i = 0; i < sent; i++)
        {
            var reply = await flooder.ExpectAsync("");
            if (reply.StartsWith("ok #f", StringComparison.Ordinal))
            {
                accepted.Add(int.Parse(reply[5..reply.IndexOf(' ', 5)], CultureInfo.InvariantCulture));
            }
            else if (reply.StartsWith("error #f", StringComparison.Ordinal) && reply.Contains(" rate-limited ", StringComparison.Ordinal))
            {
                refused++;
            }
            else
            {
                i--;
            }
        }

        Assert.InRange(accepted.Count, 1, 1000);
        Assert.Equal(sent - accepted.Count, refused);
        await chat.WaitForRoundTripsAsync(5);

        // Nothing accepted is lost: the recipient gets exactly the accepted ones, in order.
        var (_, inbox) = await server.LoginAsync("google");
        var last = $"flood {accepted[^1]}";
        await inbox.WaitForAsync<MessageNotice>(n => n.Message.Text == last);
        Assert.Equal(accepted.Select(i => $"flood {i}"), inbox.OfType<MessageNotice>().Select(n => n.Message.Text));
        await chat.StopAndAssertAsync(RoundTripBound, atLeast: 5);
    }

    [Fact]
    public async Task Forged_peer_grants_are_refused_and_the_real_one_still_works()
    {
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var chat = await LegitimateChat.StartAsync(server);
        await using var listener = new PeerListener(IPAddress.Loopback, 0, server.Time);
        var grant = PeerGrant.Create("seas", "columbia", server.Time.GetUtcNow().AddMinutes(10));
        listener.Accept(grant);

        for (var i = 0; i < 50; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, listener.Port);
            var stream = tcp.GetStream();
            var forged = i % 2 == 0 ? $"peer-hello seas {new string((char)('0' + (i % 10)), 32)}\n" : $"peer-hello foobar {grant.Token}\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(forged));
            using var reader = new StreamReader(stream);
            using var timeout = new CancellationTokenSource(TestServer.Wait);
            Assert.StartsWith("peer-refused", await reader.ReadLineAsync(timeout.Token), StringComparison.Ordinal);
        }

        await using var transport = new TcpPeerTransport();
        var message = new ChatMessage(MessageId.New(server.Time), MessageKind.Private, "seas", "columbia", "the real one", server.Time.GetUtcNow());
        await transport.SendAsync(new PeerRoute("127.0.0.1", listener.Port, grant), message, CancellationToken.None);
        await foreach (var received in listener.Messages)
        {
            Assert.Equal("the real one", received.Message.Text);
            break;
        }

        await chat.StopAndAssertAsync(RoundTripBound);
    }

    [Fact]
    public async Task A_guesser_relocking_a_name_whenever_the_lock_runs_out_does_not_keep_the_owner_out()
    {
        // The clock jumps a lock's length each round, so the pair's sessions must outlive the test.
        await using var server = await TestServer.StartAsync(core: o => o.HeartbeatTimeout = TimeSpan.FromHours(1), transport: TestTransport.Sockets);
        var lockout = server.Services.GetRequiredService<IOptions<ChatRoomOptions>>().Value.LockoutDuration;
        var chat = await LegitimateChat.StartAsync(server);

        for (var round = 0; round < 10; round++)
        {
            for (var guess = 0; guess < 3; guess++)
            {
                var guesser = await server.ConnectRawAsync("127.0.0.4");
                await guesser.ExpectAsync("hello");
                await guesser.SendAsync($"login foobar guess{round}{guess}\n");
                Assert.StartsWith("error", await guesser.ExpectAsync("error"), StringComparison.Ordinal);
            }

            // The owner, elsewhere: in at once, or after a short "try again" — never locked out.
            var owner = await server.ConnectRawAsync("127.0.0.5");
            await owner.ExpectAsync("hello");
            await owner.SendAsync("login foobar passpass\n");
            var answer = await owner.ExpectAsync("");
            if (answer.StartsWith("error try-again ", StringComparison.Ordinal))
            {
                var wait = int.Parse(answer.Split(' ')[2], CultureInfo.InvariantCulture);
                Assert.InRange(wait, 1, 10);
                server.Time.Advance(TimeSpan.FromSeconds(wait));
                await owner.SendAsync("login foobar passpass\n");
                answer = await owner.ExpectAsync("");
            }

            Assert.StartsWith("ok login foobar", answer, StringComparison.Ordinal);
            await owner.SendAsync("logout\n");
            server.Time.Advance(lockout);
        }

        await chat.StopAndAssertAsync(RoundTripBound);
    }

    [Fact]
    public async Task Flooding_an_offline_box_fills_it_to_the_cap_and_every_accepted_message_is_delivered()
    {
        const int cap = 200, sent = 1000;
        await using var server = await TestServer.StartAsync(core: o => o.MaxMailboxMessages = cap, transport: TestTransport.Sockets);
        var chat = await LegitimateChat.StartAsync(server);
        var flooder = await server.ConnectRawAsync();
        await flooder.ExpectAsync("hello");
        await flooder.SendAsync("login foobar passpass\n");
        await flooder.ExpectAsync("ok login");

        await flooder.SendAsync(string.Concat(Enumerable.Range(0, sent).Select(i => $"#b{i} message google box {i}\n")));
        var accepted = new List<int>();
        var full = 0;
        while (accepted.Count + full < sent)
        {
            var reply = await flooder.ExpectAsync("");
            if (reply.StartsWith("ok #b", StringComparison.Ordinal))
            {
                accepted.Add(int.Parse(reply[5..reply.IndexOf(' ', 5)], CultureInfo.InvariantCulture));
            }
            else if (reply.StartsWith("error #b", StringComparison.Ordinal) && reply.Contains(" mailbox-full google", StringComparison.Ordinal))
            {
                full++;
            }
        }

        Assert.Equal(Enumerable.Range(0, cap), accepted);
        Assert.Equal(sent - cap, full);

        // The box is full for everyone while it is, and nobody else's box or chat is touched.
        var other = await server.ConnectAsync();
        await other.LoginAsync("csee4119", TestServer.Passwords["csee4119"]);
        Assert.Equal(ChatRoom.Routing.RefusalReason.MailboxFull, (await other.SendAsync("google", "me too")).Refusal);
        await chat.WaitForRoundTripsAsync(3);

        // The owner gets exactly what was accepted, in order; once taken, the box has room again.
        var (google, inbox) = await server.LoginAsync("google");
        await inbox.WaitForAsync<MessageNotice>(n => n.Message.Text == $"box {cap - 1}");
        Assert.Equal(accepted.Select(i => $"box {i}"), inbox.OfType<MessageNotice>().Select(n => n.Message.Text));

        // Acknowledgements go out ahead of any later command, so one round trip after taking them the box is empty.
        await google.GetOnlineUsersAsync();
        Assert.Null((await other.SendAsync("google", "room again")).Refusal);
        await chat.StopAndAssertAsync(RoundTripBound, atLeast: 3);
    }

    private static async Task SendIgnoringResetAsync(RawClient client, byte[] bytes)
    {
        try
        {
            await client.SendAsync(bytes);
        }
        catch (IOException e) when (e.InnerException is SocketException)
        {
            // The server may close a connection that sent only garbage; that is its right.
        }
    }
}
