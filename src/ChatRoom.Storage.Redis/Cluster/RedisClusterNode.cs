using ChatRoom.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Cluster;

/// <summary>
/// This node's membership of the cluster while the host runs: it listens for signals, renews the node's lease (a key
/// that lapses when the node stops renewing it, after which any node's sweep ends its sessions), and when the link to
/// Redis returns after a break it has every session here read its kept messages again, since signals sent meanwhile
/// were lost.
/// </summary>
internal sealed partial class RedisClusterNode : IHostedService, IAsyncDisposable
{
    // KEYS: the node's lease, the nodes set, its missing marker. ARGV: node, lease ms. Being in the set is what brings
    // signals for every node here (RedisClusterBus publishes on each member's channel); a sweep that finds the lease
    // lapsed removes it. A marker a sweep set before this renewal is dropped: the node is alive, and an old marker must
    // not count a later outage towards ending its sessions.
    private const string RenewScript = """
        redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
        redis.call('SADD', KEYS[2], ARGV[1])
        redis.call('DEL', KEYS[3])
        return 0
        """;

    // KEYS: the node's lease, its missing marker. ARGV: the marker's time to live, nine leases (ten minus the one waited).
    private const string LeaveScript = """
        redis.call('DEL', KEYS[1])
        redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
        """;

    private static readonly TimeSpan s_firstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_readAgainAfter = TimeSpan.FromSeconds(1);

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisGateway _gateway;
    private readonly RedisClusterIdentity _identity;
    private readonly IClusterSignalHandler _handler;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private ChannelMessageQueue? _mine;
    private Task _renewing = Task.CompletedTask;
    private int _leaseFailing;
    private long _renewedAt;
    private int _restorations;

    public RedisClusterNode(IConnectionMultiplexer redis, RedisGateway gateway, RedisClusterIdentity identity, IClusterSignalHandler handler, TimeProvider time, ILogger<RedisClusterNode> logger)
    {
        _redis = redis;
        _gateway = gateway;
        _identity = identity;
        _handler = handler;
        _time = time;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _redis.ConnectionRestored += OnConnectionRestored;
        var subscriber = _redis.GetSubscriber();

        // One channel, one queue, handled one signal at a time: a node's signals to this one keep their order, whether
        // sent here alone or to every node (see RedisClusterBus).
        // Registered without waiting for Redis, so a node starts while Redis is down (the connection subscribes it when
        // it connects); a failed awaited subscribe would leave the queue registered but lost to us. The ping travels on
        // the subscription connection after the subscribe, so when Redis is up the node listens once it answers.
        _mine = await subscriber.SubscribeAsync(_gateway.Keys.NodeChannel(_identity.NodeId), CommandFlags.FireAndForget).ConfigureAwait(false);
        _mine.OnMessage(HandleAsync);
        try
        {
            await subscriber.PingAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            NotListening(_logger, ex, _identity.NodeId);
        }

        await RenewLeaseAsync().ConfigureAwait(false);
        _renewing = RenewLoopAsync(_stopping.Token);
        NodeStarted(_logger, _identity.NodeId, _identity.Lease.TotalSeconds);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _redis.ConnectionRestored -= OnConnectionRestored;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _renewing.ConfigureAwait(false);
        try
        {
            if (_mine is not null)
            {
                await _mine.UnsubscribeAsync().ConfigureAwait(false);
            }

            // Gone at once rather than after the lease: any session left here is swept now, not seconds later. The lease
            // is dropped and marked missing for a lease already (see RedisPresenceDirectory's sweep), in one step.
            await _gateway.Database.ScriptEvaluateAsync(
                LeaveScript,
                [_gateway.Keys.NodeLease(_identity.NodeId), _gateway.Keys.NodeMissing(_identity.NodeId)],
                [(long)(_identity.Lease * 9).TotalMilliseconds]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            LeaseNotRenewed(_logger, ex, _identity.NodeId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        await _renewing.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task HandleAsync(ChannelMessage message)
    {
        try
        {
            var (sender, signal) = ClusterCodec.Decode((byte[])message.Message!);
            if (!string.Equals(sender, _identity.NodeId, StringComparison.Ordinal))
            {
                await _handler.HandleAsync(signal, _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // One bad or failed signal must not stop the node from handling the next.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            SignalFailed(_logger, ex);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // One catch-up at a time; a link restored while one runs has it go round once more. Logged per catch-up, not
        // per reconnection: the library may reconnect many times a second to a Redis still loading its data.
        if (Interlocked.Increment(ref _restorations) == 1)
        {
            LinkRestored(_logger, _identity.NodeId, e.ConnectionType);
            _ = CatchUpAsync();
        }
    }

    private async Task CatchUpAsync()
    {
        while (true)
        {
            var seen = Volatile.Read(ref _restorations);
            await CatchUpOnceAsync().ConfigureAwait(false);
            if (_stopping.IsCancellationRequested || Interlocked.CompareExchange(ref _restorations, 0, seen) == seen)
            {
                return;
            }
        }
    }

    private async Task CatchUpOnceAsync()
    {
        // Signals sent while the link was down were lost: every session reads its kept messages again. The library
        // reports the link before Redis may answer (still connecting, or loading its append-only file), so a failed
        // step is retried; a catch-up given up would leave missed messages waiting for the session's next read.
        if (!await UntilDoneAsync(async () => await RenewLeaseAsync().ConfigureAwait(false) && await ResynchronizeAsync().ConfigureAwait(false)).ConfigureAwait(false))
        {
            return;
        }

        // The link may be back before the library has subscribed again: a signal sent in between is lost too, so
        // read again once the subscription has surely been renewed. Reading again hands over nothing twice.
        if (await DelayAsync(s_readAgainAfter).ConfigureAwait(false))
        {
            await UntilDoneAsync(ResynchronizeAsync).ConfigureAwait(false);
        }
    }

    /// <summary>Runs <paramref name="step"/> until it succeeds, waiting longer each time up to a third of a lease; false once the node stops.</summary>
    private async Task<bool> UntilDoneAsync(Func<Task<bool>> step)
    {
        var wait = s_firstRetry;
        while (!await step().ConfigureAwait(false))
        {
            if (!await DelayAsync(wait).ConfigureAwait(false))
            {
                return false;
            }

            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, (_identity.Lease / 3).Ticks));
        }

        return true;
    }

    private async Task<bool> DelayAsync(TimeSpan wait)
    {
        try
        {
            await Task.Delay(wait, _time, _stopping.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task RenewLoopAsync(CancellationToken stopping)
    {
        // Three renewals per lease: one lost renewal does not cost the node its sessions.
        using var timer = new PeriodicTimer(_identity.Lease / 3, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                await RenewLeaseAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> ResynchronizeAsync()
    {
        try
        {
            await _handler.ResynchronizeAsync(_stopping.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return false;
        }
#pragma warning disable CA1031 // The caller tries again (a catch-up), or the next renewal, heartbeat or message does.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            SignalFailed(_logger, ex);
            return false;
        }
    }

    private async Task<bool> RenewLeaseAsync()
    {
        try
        {
            var keys = _gateway.Keys;
            await _gateway.Database.ScriptEvaluateAsync(
                RenewScript,
                [keys.NodeLease(_identity.NodeId), keys.Nodes, keys.NodeMissing(_identity.NodeId)],
                [_identity.NodeId, (long)_identity.Lease.TotalMilliseconds]).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _leaseFailing, 0) == 1)
            {
                LeaseRenewed(_logger, _identity.NodeId);
            }

            // A gap longer than the lease (the process was paused, or cut off from Redis without the library noticing):
            // other nodes may have ended sessions here meanwhile, and signals were missed. Check every session.
            var now = _time.GetTimestamp();
            var before = Interlocked.Exchange(ref _renewedAt, now);
            if (before != 0 && _time.GetElapsedTime(before, now) > _identity.Lease)
            {
                LeaseGap(_logger, _identity.NodeId);
                _ = ResynchronizeAsync();
            }

            return true;
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            // Logged once per outage, not at every tick.
            if (Interlocked.Exchange(ref _leaseFailing, 1) == 0)
            {
                LeaseNotRenewed(_logger, ex, _identity.NodeId);
            }

            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster node {Node} started while Redis is away; it listens for signals when Redis returns")]
    private static partial void NotListening(ILogger logger, Exception exception, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster node {Node} renewed its lease after longer than a lease; its sessions are checked against presence")]
    private static partial void LeaseGap(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {Node} joined (lease {LeaseSeconds} s)")]
    private static partial void NodeStarted(ILogger logger, string node, double leaseSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster node {Node} could not renew its lease; should it stay cut off from Redis while other nodes are not, they end its sessions one lease after it lapses")]
    private static partial void LeaseNotRenewed(ILogger logger, Exception exception, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {Node} renewed its lease again")]
    private static partial void LeaseRenewed(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {Node} is linked to Redis again ({Connection}); its sessions read their kept messages again")]
    private static partial void LinkRestored(ILogger logger, string node, ConnectionType connection);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A cluster signal could not be carried out")]
    private static partial void SignalFailed(ILogger logger, Exception exception);
}
