using System.Diagnostics;
using System.Threading.Channels;
using ChatRoom.Cluster;
using ChatRoom.Presence;
using ChatRoom.Storage.Redis.Cluster;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

public sealed class RedisClusterBusTests(RedisServer server) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);
    private readonly List<RedisClusterNode> _started = [];
    private ClusterTestKit _kit = null!;

    public async Task InitializeAsync() => _kit = await ClusterTestKit.StartAsync(server);

    public async Task DisposeAsync()
    {
        foreach (var node in _started)
        {
            await node.DisposeAsync();
        }

        await _kit.DisposeAsync();
    }

    [Fact]
    public async Task Send_reaches_the_named_node_only()
    {
        var a = await StartNodeAsync("node-a");
        var b = await StartNodeAsync("node-b");
        var signal = new PresenceSignal("ann");

        Assert.True(await a.Bus.SendAsync("node-b", signal));

        Assert.Equal(signal, await b.Handler.NextAsync());
        // b's next signal to a arrives after anything sent to a before it: a got nothing but it.
        Assert.True(await b.Bus.SendAsync("node-a", new PresenceSignal("fence")));
        Assert.Equal(new PresenceSignal("fence"), await a.Handler.NextAsync());
        Assert.Equal(0, b.Handler.Pending);
    }

    [Fact]
    public async Task Send_to_a_node_nobody_listens_for_returns_false()
    {
        var a = await StartNodeAsync("node-a");

        Assert.False(await a.Bus.SendAsync("node-unknown", new PresenceSignal("ann")));
    }

    [Fact]
    public async Task Publish_reaches_the_others_and_not_the_sender()
    {
        var a = await StartNodeAsync("node-a");
        var b = await StartNodeAsync("node-b");
        var c = await StartNodeAsync("node-c");
        var signal = new BroadcastSignal(new Messaging.ChatMessage(Messaging.MessageId.New(TimeProvider.System), Messaging.MessageKind.Broadcast, "ann", null, "hi all", DateTimeOffset.UtcNow));

        await a.Bus.PublishAsync(signal);

        Assert.Equal(signal, await b.Handler.NextAsync());
        Assert.Equal(signal, await c.Handler.NextAsync());
        await b.Bus.PublishAsync(new PresenceSignal("fence"));
        Assert.Equal(new PresenceSignal("fence"), await a.Handler.NextAsync());
        Assert.Equal(new PresenceSignal("fence"), await c.Handler.NextAsync());
        Assert.Equal(0, a.Handler.Pending);
    }

    [Fact]
    public async Task A_thousand_signals_arrive_in_the_order_sent()
    {
        var a = await StartNodeAsync("node-a");
        var b = await StartNodeAsync("node-b");

        var sends = Enumerable.Range(0, 1_000).Select(i => a.Bus.SendAsync("node-b", new PresenceSignal($"u{i}")).AsTask()).ToList();
        Assert.All(await Task.WhenAll(sends), Assert.True);

        for (var i = 0; i < 1_000; i++)
        {
            Assert.Equal(new PresenceSignal($"u{i}"), await b.Handler.NextAsync());
        }
    }

    [Fact]
    public async Task Signals_sent_to_one_node_and_to_all_keep_their_order()
    {
        var a = await StartNodeAsync("node-a");
        var b = await StartNodeAsync("node-b");
        var published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The first signal is slow to carry out: one sent after it must still wait for it.
        b.Handler.Before = async signal =>
        {
            if (signal is PresenceSignal { User: "first" })
            {
                await published.Task.WaitAsync(TimeSpan.FromSeconds(1)).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
            else
            {
                published.TrySetResult();
            }
        };

        Assert.True(await a.Bus.SendAsync("node-b", new PresenceSignal("first")));
        await a.Bus.PublishAsync(new PresenceSignal("second"));

        Assert.Equal(new PresenceSignal("first"), await b.Handler.NextAsync());
        Assert.Equal(new PresenceSignal("second"), await b.Handler.NextAsync());
    }

    [Fact]
    public async Task A_malformed_message_is_logged_and_the_next_one_is_handled()
    {
        var b = await StartNodeAsync("node-b");
        var publisher = (await _kit.ConnectAsync()).GetSubscriber();

        Assert.Equal(1, await publisher.PublishAsync(_kit.Keys.NodeChannel("node-b"), "{not a signal"));
        Assert.Equal(1, await publisher.PublishAsync(_kit.Keys.NodeChannel("node-b"), new byte[] { 0xFF, 0x00, 0x7B }));
        Assert.Equal(1, await publisher.PublishAsync(_kit.Keys.NodeChannel("node-b"), ClusterCodec.Encode("node-x", new PresenceSignal("good"))));

        Assert.Equal(new PresenceSignal("good"), await b.Handler.NextAsync());
        await b.Bus.PublishAsync(new PresenceSignal("ignored"));
        var warnings = await WaitForAsync(() => b.Logs.GetSnapshot().Where(static r => r.Level == LogLevel.Warning && r.Exception is FormatException).ToList(), static w => w.Count >= 2);
        Assert.Equal(2, warnings.Count);
    }

    [Fact]
    public async Task A_signal_whose_handling_fails_is_logged_and_the_next_one_is_handled()
    {
        var b = await StartNodeAsync("node-b");
        var a = await StartNodeAsync("node-a");
        b.Handler.Before = static signal => signal is PresenceSignal { User: "bad" } ? throw new InvalidOperationException("boom") : Task.CompletedTask;

        await a.Bus.SendAsync("node-b", new PresenceSignal("bad"));
        await a.Bus.SendAsync("node-b", new PresenceSignal("good"));

        Assert.Equal(new PresenceSignal("good"), await b.Handler.NextAsync());
        Assert.Contains(b.Logs.GetSnapshot(), static r => r.Level == LogLevel.Warning && r.Exception is InvalidOperationException);
    }

    [Fact]
    public async Task A_renewal_after_a_gap_longer_than_the_lease_has_the_node_check_its_sessions_and_one_on_time_does_not()
    {
        var time = new FakeTimeProvider();
        var b = await StartNodeAsync("node-b", TimeSpan.FromSeconds(30), time);
        var lease = _kit.Keys.NodeLease("node-b");

        // On time: renewed, nothing to check.
        Assert.True(await _kit.Raw.KeyExpireAsync(lease, TimeSpan.FromSeconds(2)));
        time.Advance(TimeSpan.FromSeconds(10));
        await WaitForAsync(async () => (await _kit.Raw.KeyTimeToLiveAsync(lease)) ?? TimeSpan.Zero, static ttl => ttl > TimeSpan.FromSeconds(20));
        Assert.False(b.Handler.Resynchronized.Task.IsCompleted);

        // Paused for longer than a lease (the clock jumps, one tick fires): the renewal finds the gap.
        time.Advance(TimeSpan.FromSeconds(45));
        await b.Handler.Resynchronized.Task.WaitAsync(s_wait);
        Assert.Contains(b.Logs.GetSnapshot(), static r => r.Level == LogLevel.Warning && r.Message.Contains("longer than a lease", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_lease_is_set_at_start_renewed_on_the_timer_and_deleted_at_stop()
    {
        var time = new FakeTimeProvider();
        var b = await StartNodeAsync("node-b", TimeSpan.FromSeconds(30), time);
        var lease = _kit.Keys.NodeLease("node-b");
        Assert.InRange((await _kit.Raw.KeyTimeToLiveAsync(lease))!.Value, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30));

        Assert.True(await _kit.Raw.KeyExpireAsync(lease, TimeSpan.FromSeconds(2)));
        time.Advance(TimeSpan.FromSeconds(10));
        await WaitForAsync(async () => (await _kit.Raw.KeyTimeToLiveAsync(lease)) ?? TimeSpan.Zero, static ttl => ttl > TimeSpan.FromSeconds(20));

        await b.Node.StopAsync(CancellationToken.None);

        Assert.False(await _kit.Raw.KeyExistsAsync(lease));
        Assert.False(await b.Bus.SendAsync("node-b", new PresenceSignal("gone")));
    }

    [Fact]
    public async Task A_renewal_drops_the_missing_marker_a_sweep_set_before_it()
    {
        var time = new FakeTimeProvider();
        await StartNodeAsync("node-b", TimeSpan.FromSeconds(30), time);
        // A sweep found the lease missing (Redis had just come back) before this renewal.
        await _kit.Raw.StringSetAsync(_kit.Keys.NodeMissing("node-b"), "1", TimeSpan.FromMinutes(5));

        time.Advance(TimeSpan.FromSeconds(10));

        await WaitForAsync(() => _kit.Raw.KeyExistsAsync(_kit.Keys.NodeMissing("node-b")), static exists => !exists);
    }

    [Fact]
    public async Task A_node_swept_out_after_its_lease_lapsed_hears_signals_for_all_again_after_its_next_renewal()
    {
        var time = new FakeTimeProvider();
        var a = await StartNodeAsync("node-a");
        var b = await StartNodeAsync("node-b", TimeSpan.FromSeconds(30), time);
        Assert.Contains("node-b", await _kit.MembersAsync(_kit.Keys.Nodes));
        await _kit.LeaseLapsedLongAgoAsync("node-b");
        await (await _kit.PresenceAsync("node-a")).SweepAsync();
        Assert.DoesNotContain("node-b", await _kit.MembersAsync(_kit.Keys.Nodes));

        time.Advance(TimeSpan.FromSeconds(10));
        await WaitForAsync(() => _kit.MembersAsync(_kit.Keys.Nodes), static nodes => nodes.Contains("node-b"));

        await a.Bus.PublishAsync(new PresenceSignal("again"));
        Assert.Equal(new PresenceSignal("again"), await b.Handler.NextAsync());
        Assert.True(await _kit.Raw.KeyExistsAsync(_kit.Keys.NodeLease("node-b")));
    }

    [Fact]
    public async Task After_Redis_restarts_the_node_listens_again_renews_its_lease_and_resynchronizes()
    {
        await using var own = await RedisServer.StartAsync();
        await using var kit = await ClusterTestKit.StartAsync(own);
        var time = new FakeTimeProvider();
        var b = await StartNodeAsync("node-b", TimeSpan.FromSeconds(30), time, kit);
        var lease = kit.Keys.NodeLease("node-b");
        var sender = new RedisClusterBus(await kit.ConnectAsync(), new RedisGateway(await kit.ConnectAsync(), kit.Prefix), new RedisClusterIdentity("node-a", TimeSpan.FromSeconds(30)), new FakeLogger<RedisClusterBus>());
        Assert.True(await sender.SendAsync("node-b", new PresenceSignal("before")));
        Assert.Equal(new PresenceSignal("before"), await b.Handler.NextAsync());
        // Gone from Redis while it is down (the timer is stopped): only the catch-up after the break can set it again.
        await kit.Raw.KeyDeleteAsync(lease);

        own.Stop();
        await own.StartAsync();

        await WaitForAsync(() => b.Handler.Resynchronized.Task.IsCompleted, static done => done, time);
        await WaitForAsync(() => kit.Raw.KeyExistsAsync(lease), static exists => exists);
        await WaitForAsync(() => sender.SendAsync("node-b", new PresenceSignal("after")).AsTask(), static sent => sent);
        Assert.Equal(new PresenceSignal("after"), await b.Handler.NextAsync());
    }

    [Fact]
    public async Task A_catch_up_whose_lease_renewal_fails_tries_again_until_the_lease_is_set_then_resynchronizes()
    {
        var time = new FakeTimeProvider();
        var b = await StartNodeAsync("node-b", TimeSpan.FromSeconds(30), time);
        var lease = _kit.Keys.NodeLease("node-b");
        await _kit.Raw.KeyDeleteAsync(lease);
        // The renewal script's SADD now fails (WRONGTYPE), as a renewal sent while Redis still loads would.
        await _kit.Raw.KeyDeleteAsync(_kit.Keys.Nodes);
        await _kit.Raw.StringSetAsync(_kit.Keys.Nodes, "not a set");

        await DropOtherClientsAsync();
        await WaitForAsync(() => b.Logs.GetSnapshot(), static logs => logs.Any(static r => r.Message.Contains("could not renew", StringComparison.Ordinal)));
        Assert.False(b.Handler.Resynchronized.Task.IsCompleted);
        await _kit.Raw.KeyDeleteAsync(_kit.Keys.Nodes);

        // The first retry comes a quarter second later, long before the renewal timer's tick (ten seconds): the clock
        // is moved on in small steps (the retry's wait may start after the failure is logged), five seconds at most.
        await WaitForAsync(() => b.Handler.Resynchronized.Task.IsCompleted, static done => done, time);
        Assert.True(await _kit.Raw.KeyExistsAsync(lease));
        Assert.Contains("node-b", await _kit.MembersAsync(_kit.Keys.Nodes));
    }

    [Fact]
    public async Task A_catch_up_whose_resynchronization_fails_tries_again_with_a_growing_wait()
    {
        var time = new FakeTimeProvider();
        var b = await StartNodeAsync("node-b", TimeSpan.FromSeconds(30), time);
        b.Handler.FailingResynchronizations = 2;
        b.Handler.Clock = time;

        await DropOtherClientsAsync();
        // The clock moves on in 50 ms steps; each retry can only come once its wait has passed on it.
        await WaitForAsync(() => b.Handler.Resynchronized.Task.IsCompleted, static done => done, time);

        var calls = b.Handler.ResynchronizeTimes.ToArray();
        Assert.True(calls.Length >= 3, $"{calls.Length} calls");
        Assert.True(calls[1] - calls[0] >= TimeSpan.FromMilliseconds(250), $"first wait {calls[1] - calls[0]}");
        Assert.True(calls[2] - calls[1] >= TimeSpan.FromMilliseconds(500), $"second wait {calls[2] - calls[1]}"); // doubled
        Assert.Equal(2, b.Logs.GetSnapshot().Count(static r => r.Message == "A cluster signal could not be carried out"));
    }

    [Fact]
    public async Task While_Redis_is_down_sends_fail_soft_and_a_node_still_starts_and_stops_in_bounded_time()
    {
        await using var own = await RedisServer.StartAsync();
        await using var kit = await ClusterTestKit.StartAsync(own);
        var a = await StartNodeAsync("node-a", TimeSpan.FromSeconds(30), new FakeTimeProvider(), kit);
        own.Stop();
        var bConnection = await kit.ConnectAsync(TimeSpan.FromSeconds(2));

        // Each within a few operation timeouts (2 s each; a start waits for a ping and a renewal), not hanging.
        await Within(async () => Assert.False(await a.Bus.SendAsync("node-b", new PresenceSignal("lost"))));
        await Within(async () => await a.Bus.PublishAsync(new PresenceSignal("lost")));
        var b = default(TestNode)!;
        var bTime = new FakeTimeProvider();
        await Within(async () => b = await StartNodeAsync("node-b", TimeSpan.FromSeconds(30), bTime, kit, bConnection));
        await Within(() => a.Node.StopAsync(CancellationToken.None));

        await own.StartAsync();
        // Set by b's catch-up (which may need a retry: its first renewal can meet Redis before it answers) or else by
        // its renewal timer; its clock is fake, and moved on past the timer's tick.
        await WaitForAsync(() => kit.Raw.KeyExistsAsync(kit.Keys.NodeLease("node-b")), static exists => exists, bTime, TimeSpan.FromSeconds(15));
        var sender = new RedisClusterBus(await kit.ConnectAsync(), new RedisGateway(await kit.ConnectAsync(), kit.Prefix), new RedisClusterIdentity("node-c", TimeSpan.FromSeconds(30)), new FakeLogger<RedisClusterBus>());
        await WaitForAsync(() => sender.SendAsync("node-b", new PresenceSignal("hello")).AsTask(), static sent => sent);
        Assert.Equal(new PresenceSignal("hello"), await b.Handler.NextAsync());
    }

    private static async Task Within(Func<Task> call)
    {
        var clock = Stopwatch.StartNew();
        await call();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    private async Task<TestNode> StartNodeAsync(string name, TimeSpan? lease = null, TimeProvider? time = null, ClusterTestKit? kit = null, IConnectionMultiplexer? connection = null)
    {
        kit ??= _kit;
        connection ??= await kit.ConnectAsync(TimeSpan.FromSeconds(2));
        var gateway = new RedisGateway(connection, kit.Prefix);
        var identity = new RedisClusterIdentity(name, lease ?? TimeSpan.FromSeconds(30));
        var handler = new RecordingHandler();
        var logger = new FakeLogger<RedisClusterNode>();
        var node = new RedisClusterNode(connection, gateway, identity, handler, time ?? TimeProvider.System, logger);
        _started.Add(node);
        await node.StartAsync(CancellationToken.None);
        return new(new RedisClusterBus(connection, gateway, identity, new FakeLogger<RedisClusterBus>()), node, handler, logger.Collector);
    }

    /// <summary>
    /// Polls until <paramref name="done"/>; with <paramref name="retries"/>, moves that fake clock on 50 ms a poll, up to
    /// <paramref name="upTo"/> in all (five seconds unless told: enough for a catch-up's retries, never reaching the
    /// renewal timer's tick at ten).
    /// </summary>
    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, FakeTimeProvider? retries = null, TimeSpan? upTo = null)
    {
        var clock = Stopwatch.StartNew();
        var advanced = TimeSpan.Zero;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            Assert.True(clock.Elapsed < s_wait, $"still {value} after {s_wait}");
            await Task.Delay(20);
            if (retries is not null && advanced < (upTo ?? TimeSpan.FromSeconds(5)))
            {
                retries.Advance(TimeSpan.FromMilliseconds(50));
                advanced += TimeSpan.FromMilliseconds(50);
            }
        }
    }

    private static Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> done, FakeTimeProvider? retries = null) => WaitForAsync(() => Task.FromResult(read()), done, retries);

    /// <summary>Drops every client but the kit's own, as a network break would: each node's link is restored a moment later.</summary>
    private async Task DropOtherClientsAsync()
    {
        await using var admin = await ConnectionMultiplexer.ConnectAsync(_kit.Server.Configuration + ",allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "SKIPME", "yes");
    }

    private sealed record TestNode(RedisClusterBus Bus, RedisClusterNode Node, RecordingHandler Handler, FakeLogCollector Logs);

    private sealed class RecordingHandler : IClusterSignalHandler
    {
        private readonly Channel<ClusterSignal> _signals = Channel.CreateUnbounded<ClusterSignal>();
        private int _resynchronizeCalls;

        public Func<ClusterSignal, Task> Before { get; set; } = static _ => Task.CompletedTask;

        public TaskCompletionSource Resynchronized { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Pending => _signals.Reader.Count;

        public async ValueTask HandleAsync(ClusterSignal signal, CancellationToken cancellationToken = default)
        {
            await Before(signal);
            _signals.Writer.TryWrite(signal);
        }

        public int FailingResynchronizations { get; set; }

        public TimeProvider Clock { get; set; } = TimeProvider.System;

        public System.Collections.Concurrent.ConcurrentQueue<DateTimeOffset> ResynchronizeTimes { get; } = new();

        public ValueTask ResynchronizeAsync(CancellationToken cancellationToken = default)
        {
            ResynchronizeTimes.Enqueue(Clock.GetUtcNow());
            if (Interlocked.Increment(ref _resynchronizeCalls) <= FailingResynchronizations)
            {
                throw new InvalidOperationException("resynchronization failed");
            }

            Resynchronized.TrySetResult();
            return ValueTask.CompletedTask;
        }

        public async Task<ClusterSignal> NextAsync() => await _signals.Reader.ReadAsync().AsTask().WaitAsync(s_wait);
    }
}
