namespace ChatRoom.Networking.Tests.Server;

public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task Connections_that_never_log_in_are_told_and_closed_at_the_login_deadline()
    {
        await using var server = await TestServer.StartAsync(server: o =>
        {
            o.LoginTimeout = TimeSpan.FromSeconds(10);
            o.MaxConnectionsPerAddress = 1000;
        });
        var silent = new List<RawClient>();
        for (var i = 0; i < 300; i++)
        {
            var raw = server.ConnectRawFrom($"10.0.{i % 3}.1");
            await raw.ExpectAsync("hello");
            silent.Add(raw);
        }

        // Half a line, then silence: still no login.
        await silent[0].SendAsync("login seas summ");
        var member = server.ConnectRawFrom("10.0.9.9");
        await member.ExpectAsync("hello");
        await member.SendAsync("#1 login seas summerisover\n");
        await member.ExpectAsync("ok #1 login");

        server.Time.Advance(TimeSpan.FromSeconds(9));
        await silent[1].SendAsync("#2 help\n");
        Assert.StartsWith("ok #2 help", await silent[1].ExpectAsync("ok #2"), StringComparison.Ordinal);
        server.Time.Advance(TimeSpan.FromSeconds(1));

        foreach (var raw in silent)
        {
            Assert.StartsWith("bye login-timeout", await raw.ExpectAsync("bye"), StringComparison.Ordinal);
            Assert.Null(await raw.ReadLineAsync());
        }

        await member.SendAsync("#3 online\n");
        Assert.Equal("ok #3 online seas", await member.ExpectAsync("ok #3"));
    }

    [Fact]
    public async Task Connections_waiting_for_their_login_own_no_timer_the_sweep_keeps_the_deadline()
    {
        var time = new TimerCountingTime(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(server: o => o.LoginTimeout = TimeSpan.FromSeconds(10), time: time);
        var timersAtStart = time.Timers;
        var waiting = new List<RawClient>();
        for (var i = 0; i < 200; i++)
        {
            var raw = server.ConnectRawFrom($"10.0.{i % 4}.1");
            await raw.ExpectAsync("hello");
            waiting.Add(raw);
        }

        Assert.Equal(timersAtStart, time.Timers);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.All(await Task.WhenAll(waiting.Select(r => r.ExpectAsync("bye"))), bye => Assert.StartsWith("bye login-timeout", bye, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_connection_over_the_per_address_cap_is_refused_with_a_line_and_closed()
    {
        await using var server = await TestServer.StartAsync(server: o => o.MaxConnectionsPerAddress = 3);
        var admitted = new List<RawClient>();
        for (var i = 0; i < 3; i++)
        {
            var raw = server.ConnectRawFrom("10.0.0.1");
            await raw.ExpectAsync("hello");
            admitted.Add(raw);
        }

        var fourth = server.ConnectRawFrom("10.0.0.1");
        Assert.Equal("error too-many-connections address 3 :too many connections from your address (limit 3); try again later", await fourth.ReadLineAsync());
        Assert.Null(await fourth.ReadLineAsync());

        // The same address written as IPv4-mapped IPv6 is the same address.
        var mapped = server.ConnectRawFrom("::ffff:10.0.0.1");
        Assert.StartsWith("error too-many-connections address 3", await mapped.ReadLineAsync(), StringComparison.Ordinal);

        var other = server.ConnectRawFrom("10.0.0.2");
        await other.ExpectAsync("hello");

        // A closed connection frees its place.
        await admitted[0].DisposeAsync();
        Assert.StartsWith("hello", await ConnectWhenAdmittedAsync(server, "10.0.0.1"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_connection_over_the_total_cap_is_refused_with_a_line_and_closed()
    {
        await using var server = await TestServer.StartAsync(server: o =>
        {
            o.MaxConnections = 4;
            o.MaxConnectionsPerAddress = 4;
        });
        for (var i = 0; i < 4; i++)
        {
            await server.ConnectRawFrom($"10.0.0.{i}").ExpectAsync("hello");
        }

        var fifth = server.ConnectRawFrom("10.0.0.99");
        Assert.Equal("error too-many-connections server 4 :the server is full (4 connections); try again later", await fifth.ReadLineAsync());
        Assert.Null(await fifth.ReadLineAsync());
    }

    [Fact]
    public async Task Over_TCP_the_refused_connection_reads_the_line_and_then_the_end_of_the_stream()
    {
        await using var server = await TestServer.StartAsync(server: o => o.MaxConnectionsPerAddress = 1, transport: TestTransport.Sockets);
        var first = await server.ConnectRawAsync();
        await first.ExpectAsync("hello");

        var second = await server.ConnectRawAsync();

        Assert.StartsWith("error too-many-connections address 1 ", await second.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Null(await second.ReadLineAsync());
        await first.SendAsync("#1 help\n");
        await first.ExpectAsync("ok #1 help");
    }

    // The server frees a place when the closed connection's teardown finishes; try until then, within the test timeout.
    private static async Task<string> ConnectWhenAdmittedAsync(TestServer server, string address)
    {
        using var cts = new CancellationTokenSource(TestServer.Wait);
        while (true)
        {
            var raw = server.ConnectRawFrom(address);
            var line = await raw.ReadLineAsync() ?? string.Empty;
            if (!line.StartsWith("error too-many-connections", StringComparison.Ordinal) || cts.IsCancellationRequested)
            {
                return line;
            }

            await Task.Yield();
        }
    }
}

/// <summary>A fake clock that counts the timers made from it.</summary>
internal sealed class TimerCountingTime(DateTimeOffset start) : Microsoft.Extensions.Time.Testing.FakeTimeProvider(start)
{
    private int _timers;

    public int Timers => Volatile.Read(ref _timers);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _timers);
        return base.CreateTimer(callback, state, dueTime, period);
    }
}
