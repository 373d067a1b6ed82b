using System.Diagnostics.Metrics;
using ChatRoom.Auth;
using ChatRoom.Messaging;
using ChatRoom.Presence;
using ChatRoom.Server.Diagnostics;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace ChatRoom.Networking.Tests.Server.Diagnostics;

/// <summary>The server's instruments, read through the server's own meter factory after real traffic.</summary>
public sealed class ChatServerMetricsTests
{
    [Fact]
    public async Task A_direct_message_counts_one_in_one_out_and_its_acknowledgement()
    {
        await using var server = await TestServer.StartAsync();
        using var metrics = new Collectors(server);
        var seas = await LoginRawAsync(server, "seas");
        var columbia = await LoginRawAsync(server, "columbia");

        await seas.SendAsync("#1 message columbia hello\n");
        Assert.StartsWith("ok #1 message delivered", await seas.ExpectAsync("ok #1"), StringComparison.Ordinal);
        var id = (await columbia.ExpectAsync("message seas")).Split(' ')[2];
        await columbia.SendAsync($"ack {id}\n");
        await metrics.Acknowledged.WaitForMeasurementsAsync(1, TestServer.Wait);

        Assert.Equal(1, Sum(metrics.Received, ("kind", "direct"), ("result", "accepted")));
        Assert.Equal(1, Sum(metrics.Received));
        Assert.Equal(1, Sum(metrics.Sent, ("kind", "direct")));
        Assert.Equal(0, Sum(metrics.Sent, ("kind", "broadcast")) + Sum(metrics.Sent, ("kind", "offline")));
        Assert.Equal(1, Sum(metrics.Acknowledged));
    }

    [Fact]
    public async Task A_message_the_router_refuses_counts_as_received_and_refused_and_sends_nothing()
    {
        await using var server = await TestServer.StartAsync();
        using var metrics = new Collectors(server);
        var seas = await LoginRawAsync(server, "seas");

        await seas.SendAsync("#1 message nobody hello\n");
        Assert.StartsWith("error #1", await seas.ExpectAsync("error #1"), StringComparison.Ordinal);

        Assert.Equal(1, Sum(metrics.Received, ("kind", "direct"), ("result", "refused")));
        Assert.Equal(0, Sum(metrics.Received, ("result", "accepted")));
        Assert.Equal(0, Sum(metrics.Sent, ("kind", "direct")));
    }

    [Fact]
    public async Task A_broadcast_counts_once_in_and_once_per_recipient_out()
    {
        await using var server = await TestServer.StartAsync();
        using var metrics = new Collectors(server);
        var seas = await LoginRawAsync(server, "seas");
        var columbia = await LoginRawAsync(server, "columbia");
        var google = await LoginRawAsync(server, "google");

        await seas.SendAsync("#1 broadcast hi all\n");
        Assert.StartsWith("ok #1 broadcast", await seas.ExpectAsync("ok #1"), StringComparison.Ordinal);
        await columbia.ExpectAsync("broadcast seas");
        await google.ExpectAsync("broadcast seas");

        Assert.Equal(1, Sum(metrics.Received, ("kind", "broadcast"), ("result", "accepted")));
        Assert.Equal(2, Sum(metrics.Sent, ("kind", "broadcast")));

        // Logins were announced too: columbia's to seas, google's to seas and columbia.
        Assert.Equal(3, Sum(metrics.Sent, ("kind", "presence")));
    }

    [Fact]
    public async Task A_message_kept_for_an_offline_user_is_counted_as_an_offline_delivery_at_login()
    {
        await using var server = await TestServer.StartAsync();
        using var metrics = new Collectors(server);
        var seas = await LoginRawAsync(server, "seas");
        await seas.SendAsync("#1 message columbia while you were out\n");
        Assert.StartsWith("ok #1 message stored", await seas.ExpectAsync("ok #1"), StringComparison.Ordinal);
        Assert.Equal(0, Sum(metrics.Sent, ("kind", "offline")));

        var columbia = await LoginRawAsync(server, "columbia");
        await columbia.ExpectAsync("offline seas");

        Assert.Equal(1, Sum(metrics.Sent, ("kind", "offline")));
        Assert.Equal(0, Sum(metrics.Sent, ("kind", "direct")));
    }

    [Theory]
    [InlineData("address")]
    [InlineData("server")]
    public async Task A_connection_over_a_cap_is_counted_as_refused_with_that_cap_as_its_reason(string cap)
    {
        await using var server = await TestServer.StartAsync(server: o =>
        {
            o.MaxConnections = cap == "server" ? 3 : 100;
            o.MaxConnectionsPerAddress = 3;
        });
        using var metrics = new Collectors(server);
        for (var i = 0; i < 3; i++)
        {
            await server.ConnectRawFrom("10.0.0.1").ExpectAsync("hello");
        }

        var refused = server.ConnectRawFrom("10.0.0.1");
        Assert.StartsWith($"error too-many-connections {cap}", await refused.ReadLineAsync(), StringComparison.Ordinal);

        Assert.Equal(1, Sum(metrics.Refused, ("reason", cap == "server" ? "server_full" : "address_limit")));
        Assert.Equal(1, Sum(metrics.Refused));
        Assert.Equal(3, Sum(metrics.Accepted));
        Assert.Equal(3, Sum(metrics.Open));
    }

    [Fact]
    public async Task A_closed_connection_leaves_the_open_count()
    {
        await using var server = await TestServer.StartAsync();
        using var metrics = new Collectors(server);
        var raw = server.ConnectRawFrom("10.0.0.1");
        await raw.ExpectAsync("hello");
        Assert.Equal(1, Sum(metrics.Open));

        await raw.DisposeAsync();
        await WaitUntilAsync(() => Sum(metrics.Open) == 0);

        Assert.Equal(1, Sum(metrics.Accepted));
    }

    [Fact]
    public async Task Logins_are_counted_by_result_and_sessions_by_those_logged_in()
    {
        await using var server = await TestServer.StartAsync();
        using var metrics = new Collectors(server);
        var wrong = await server.ConnectRawAsync();
        await wrong.ExpectAsync("hello");
        await wrong.SendAsync("#1 login seas wrongpassword\n");
        Assert.StartsWith("error #1", await wrong.ExpectAsync("error #1"), StringComparison.Ordinal);
        await LoginRawAsync(server, "columbia");
        var seas = await LoginRawAsync(server, "seas");

        Assert.Equal(1, Sum(metrics.Logins, ("result", "invalid")));
        Assert.Equal(2, Sum(metrics.Logins, ("result", "success")));
        metrics.Sessions.RecordObservableInstruments();
        Assert.Equal(2, metrics.Sessions.LastMeasurement?.Value);

        // The same user again takes over: the first connection is cut as displaced, and the count stays at two.
        await LoginRawAsync(server, "seas");
        Assert.StartsWith("displaced", await seas.ExpectAsync("displaced"), StringComparison.Ordinal);
        Assert.Equal(1, Sum(metrics.Dropped, ("reason", "displaced")));
        metrics.Sessions.RecordObservableInstruments();
        Assert.Equal(2, metrics.Sessions.LastMeasurement?.Value);
    }

    [Fact]
    public async Task A_connection_that_never_logs_in_is_counted_as_dropped_at_the_login_deadline()
    {
        await using var server = await TestServer.StartAsync(server: o => o.LoginTimeout = TimeSpan.FromSeconds(10));
        using var metrics = new Collectors(server);
        var silent = await server.ConnectRawAsync();
        await silent.ExpectAsync("hello");

        server.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, Sum(metrics.Dropped));
        server.Time.Advance(TimeSpan.FromSeconds(1));
        await silent.ExpectAsync("bye login-timeout");

        Assert.Equal(1, Sum(metrics.Dropped, ("reason", "login_timeout")));
        Assert.Equal(1, Sum(metrics.Dropped));
    }

    [Fact]
    public async Task A_session_whose_heartbeat_times_out_is_counted_as_dropped_and_leaves_the_session_count()
    {
        await using var server = await TestServer.StartAsync(core: o => o.HeartbeatTimeout = TimeSpan.FromSeconds(75));
        using var metrics = new Collectors(server);
        var seas = await LoginRawAsync(server, "seas");

        server.Time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(0, Sum(metrics.Dropped));
        server.Time.Advance(TimeSpan.FromSeconds(40));
        await seas.ExpectAsync("bye expired");

        Assert.Equal(1, Sum(metrics.Dropped, ("reason", "heartbeat_expired")));
        Assert.Equal(1, Sum(metrics.Dropped));
        metrics.Sessions.RecordObservableInstruments();
        Assert.Equal(0, metrics.Sessions.LastMeasurement?.Value);
    }

    [Fact]
    public async Task A_flooder_is_counted_per_refused_line_and_once_when_cut()
    {
        await using var server = await TestServer.StartAsync(server: o =>
        {
            o.MessagesPerSecond = 1;
            o.CommandsPerSecond = 100;
            o.MaxRefusedLines = 3;
        });
        using var metrics = new Collectors(server);
        var flooder = await LoginRawAsync(server, "seas");

        await flooder.SendAsync(string.Concat(Enumerable.Range(0, 50).Select(i => $"message columbia {i}\n")));
        await flooder.ExpectAsync("bye flooding");

        // One message passes; the next three are refused, and the fourth refusal is one too many.
        Assert.Equal(4, Sum(metrics.RateLimited, ("limit", "message")));
        Assert.Equal(0, Sum(metrics.RateLimited, ("limit", "command")));
        Assert.Equal(1, Sum(metrics.Dropped, ("reason", "flooding")));
        Assert.Equal(1, Sum(metrics.Received));
    }

    [Fact]
    public async Task A_client_that_stops_reading_shows_in_the_queue_gauges_until_it_is_cut_as_a_slow_reader()
    {
        await using var server = await TestServer.StartAsync(core: o => o.DeliveryWindow = 8, server: o => o.OutboundQueueCapacity = 64);
        using var metrics = new Collectors(server);
        await LoginRawAsync(server, "columbia"); // never reads again
        var seas = await LoginRawAsync(server, "seas");
        var text = new string('x', 4000);

        // The in-memory pipe holds 64 KiB; past that the stalled connection's lines wait in its queue.
        var recipients = 1;
        var sent = 0;
        for (; sent < 200 && Observe(metrics.QueuedMax) < 5; sent++)
        {
            recipients = await BroadcastAsync(seas, text, sent);
        }

        var deepest = Observe(metrics.QueuedMax);
        Assert.InRange(deepest, 5, 63);
        // The total is every connection's queue: seas's own reply may be waiting for its write loop at that moment.
        Assert.InRange(Observe(metrics.QueuedTotal), deepest, deepest + 1);
        Assert.Equal(0, Sum(metrics.Dropped));

        for (; sent < 1000 && recipients > 0; sent++)
        {
            recipients = await BroadcastAsync(seas, text, sent);
        }

        Assert.Equal(0, recipients);
        Assert.Equal(1, Sum(metrics.Dropped, ("reason", "slow_reader")));

        // Its logout is announced to seas, whose queue is empty again once seas has read it.
        await seas.ExpectAsync("presence columbia offline");
        await WaitUntilAsync(() => Sum(metrics.Open) == 1);
        Assert.Equal(0, Observe(metrics.QueuedTotal));
    }

    [Fact]
    public void Counting_on_the_message_path_allocates_nothing()
    {
        using var metrics = new ChatServerMetrics(meterFactory: null);
        using var listener = new MeterListener();
        long seen = 0;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => seen += value);
        listener.Start();
        var direct = new MessageNotice(new ChatMessage(new MessageId(Guid.NewGuid()), MessageKind.Direct, "seas", "columbia", "hi", DateTimeOffset.UnixEpoch), false);
        var presence = new PresenceNotice("seas", true);
        var login = new LoginSuccess("seas");
        Count(); // warm up: first calls may allocate while the runtime sets up

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            Count();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(10_001 * 5, seen);

        void Count()
        {
            metrics.MessageReceived(MessageKind.Direct, accepted: true);
            metrics.Written(direct);
            metrics.Written(presence);
            metrics.Acknowledged(1);
            metrics.Login(login);
            metrics.SessionEnded(LogoutReason.Requested); // not a drop: counts nothing
        }
    }

    private static async Task<int> BroadcastAsync(RawClient sender, string text, int tag)
    {
        await sender.SendAsync($"#{tag} broadcast {text}\n");
        var reply = await sender.ExpectAsync($"ok #{tag} broadcast");
        return int.Parse(reply.Split(' ')[4], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static long Observe(MetricCollector<long> gauge)
    {
        gauge.RecordObservableInstruments();
        return gauge.LastMeasurement?.Value ?? -1;
    }

    private static long Sum(MetricCollector<long> collector, params (string Key, string Value)[] tags)
        => collector.GetMeasurementSnapshot()
            .Where(m => tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value)))
            .Sum(m => m.Value);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TestServer.Wait);
        while (!condition())
        {
            // Connection teardown has no event to wait on; a short yield in a bounded loop.
            await Task.Delay(10, timeout.Token);
        }
    }

    private static async Task<RawClient> LoginRawAsync(TestServer server, string user)
    {
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");
        await raw.SendAsync($"#login login {user} {TestServer.Passwords[user]}\n");
        await raw.ExpectAsync("ok #login");
        return raw;
    }

    /// <summary>One collector per instrument, scoped to this server's meter factory, so parallel tests do not mix.</summary>
    private sealed class Collectors(TestServer server) : IDisposable
    {
        public MetricCollector<long> Open { get; } = Make(server, "chatroom.connections");

        public MetricCollector<long> Accepted { get; } = Make(server, "chatroom.connections.accepted");

        public MetricCollector<long> Refused { get; } = Make(server, "chatroom.connections.refused");

        public MetricCollector<long> Dropped { get; } = Make(server, "chatroom.connections.dropped");

        public MetricCollector<long> RateLimited { get; } = Make(server, "chatroom.lines.rate_limited");

        public MetricCollector<long> Logins { get; } = Make(server, "chatroom.logins");

        public MetricCollector<long> Sessions { get; } = Make(server, "chatroom.sessions");

        public MetricCollector<long> Received { get; } = Make(server, "chatroom.messages.received");

        public MetricCollector<long> Sent { get; } = Make(server, "chatroom.messages.sent");

        public MetricCollector<long> Acknowledged { get; } = Make(server, "chatroom.messages.acknowledged");

        public MetricCollector<long> QueuedTotal { get; } = Make(server, "chatroom.outbound.queued");

        public MetricCollector<long> QueuedMax { get; } = Make(server, "chatroom.outbound.queued.max");

        public void Dispose()
        {
            foreach (var collector in new[] { Open, Accepted, Refused, Dropped, RateLimited, Logins, Sessions, Received, Sent, Acknowledged, QueuedTotal, QueuedMax })
            {
                collector.Dispose();
            }
        }

        private static MetricCollector<long> Make(TestServer server, string instrument)
            => new(server.Services.GetRequiredService<IMeterFactory>(), ChatServerMetrics.MeterName, instrument);
    }
}
