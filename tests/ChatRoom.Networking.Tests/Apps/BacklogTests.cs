using System.Globalization;
using ChatRoom.Client;
using ChatRoom.Messaging;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Networking.Tests.Apps;

/// <summary>
/// A backlog of any size reaches its owner over TCP, in order and once, without the connection being cut: the hand-over
/// streams it in windows at the pace the client acknowledges. Before the session engine, about 2,000 stored messages
/// got their owner disconnected as a slow reader at every login.
/// </summary>
public sealed class BacklogTests
{
    private const int Backlog = 100_000;

    [Fact]
    public async Task A_hundred_thousand_stored_messages_reach_an_sdk_client_in_order_once_without_a_disconnect()
    {
        // A backlog larger than a default box: this test is about delivering it, not about the box limit.
        await using var server = await TestServer.StartAsync(core: o => o.MaxMailboxMessages = Backlog, transport: TestTransport.Sockets);
        var router = server.Services.GetRequiredService<IMessageRouter>();
        for (var i = 0; i < Backlog; i++)
        {
            await router.SendAsync("seas", "columbia", Text(i));
        }

        var window = server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ChatRoomOptions>>().Value.DeliveryWindow;
        var sessions = server.Services.GetRequiredService<ISessionManager>();
        var registry = server.Services.GetRequiredService<SessionRegistry>();
        var client = await server.ConnectAsync();
        Assert.IsType<Auth.LoginSuccess>(await client.LoginAsync("columbia", TestServer.Passwords["columbia"]));

        var next = 0;
        var maxInFlight = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await foreach (var notice in client.Notices.WithCancellation(timeout.Token))
        {
            Assert.IsNotType<DisconnectedNotice>(notice);
            if (notice is MessageNotice m)
            {
                Assert.Equal(Text(next), m.Message.Text);
                next++;
                if (next % 1000 == 0 && registry.FindUser("columbia") is { } session)
                {
                    maxInFlight = Math.Max(maxInFlight, session.InFlight);
                }

                if (next == Backlog)
                {
                    break;
                }
            }
        }

        Assert.Equal(Backlog, next);
        Assert.InRange(maxInFlight, 1, window);
        Assert.Equal(1, sessions.Count);
        Assert.DoesNotContain(server.Logs.Lines, l => l.Contains("slow reader", StringComparison.Ordinal));
        Assert.Equal(0, client.DuplicatesSuppressed);
    }

    [Fact]
    public async Task A_hundred_thousand_stored_messages_reach_the_console_client_in_order_once()
    {
        // The durable SQLite store, in the process's own folder; a box limit above the backlog, which is the point here.
        var (server, port) = await AppProcess.StartServerAsync("--max-mailbox-messages", Backlog.ToString(CultureInfo.InvariantCulture));
        await using var _ = server;
        var portText = port.ToString(CultureInfo.InvariantCulture);
        await using (var seas = await ChatClient.ConnectAsync(new ChatClientOptions { Host = "127.0.0.1", Port = port, RequestTimeout = TimeSpan.FromSeconds(30) }))
        {
            await seas.LoginAsync("seas", TestServer.Passwords["seas"]);

            // Many in flight at once, as a busy sender would; each is stored before its ok.
            for (var i = 0; i < Backlog; i += 500)
            {
                var receipts = await Task.WhenAll(Enumerable.Range(i, 500).Select(n => seas.SendAsync("columbia", Text(n))));
                Assert.All(receipts, r => Assert.Equal(SendOutcome.StoredOffline, r.Outcome));
            }
        }

        await using var columbia = AppProcess.Client("127.0.0.1", portText);
        await columbia.LogInAsync("columbia");
        var shown = await columbia.WaitForLinesAsync(l => l.StartsWith("seas (sent ", StringComparison.Ordinal), Backlog, TimeSpan.FromSeconds(120));

        Assert.Equal(Enumerable.Range(0, Backlog).Select(Text), shown.Select(l => l[(l.IndexOf("offline): ", StringComparison.Ordinal) + "offline): ".Length)..]));
        columbia.CloseInput();
        Assert.Equal(0, await columbia.WaitForExitAsync());
        Assert.DoesNotContain(server.Lines, l => l.Contains("slow reader", StringComparison.Ordinal));
    }

    private static string Text(int i) => "m" + i.ToString(CultureInfo.InvariantCulture);
}
