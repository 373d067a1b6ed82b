using ChatRoom.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Cluster;

/// <summary>
/// This node's membership of the cluster while the host runs: it listens for signals, renews the node's lease (a key
/// that lapses when the node stops renewing it, after which any node's sweep ends its sessions), and when the link to
/// Redis returns after a break it has every session here read its kept messages again, since signals sent meanwhile
/// were lost. Before anything starts it ends what a previous run under the same name left behind.
/// </summary>
internal sealed partial class RedisClusterNode : IHostedLifecycleService, IAsyncDisposable
{
    // KEYS: this node's user set, the nodes set. ARGV: prefix, node, a name for the previous run, nine leases in ms.
    // The sessions a previous run of this node left (killed, then started again before its lease lapsed, so the lease
    // never did) move to a name that has no lease and is marked missing for a lease already: the next sweep on any node
    // ends them as it ends a dead node's, telling everyone they left.
    private const string ForsakeScript = """
        local users = redis.call('SMEMBERS', KEYS[1])
        if #users == 0 then return 0 end
        for _, user in ipairs(users) do
          local key = ARGV[1] .. '{' .. user .. '}:session'
          if redis.call('HGET', key, 'node') == ARGV[2] then
            redis.call('HSET', key, 'node', ARGV[3])
            redis.call('SADD', ARGV[1] .. 'node-users:' .. ARGV[3], user)
          end
        end
        redis.call('DEL', KEYS[1])
        redis.call('SADD', KEYS[2], ARGV[3])
        redis.call('SET', ARGV[1] .. 'node-missing:' .. ARGV[3], '1', 'PX', ARGV[4])
        return #users
        """;

    // KEYS: the node's lease, its missing marker. ARGV: the marker's time to live, nine leases (ten minus the one waited).
    private const string LeaveScript = """
        redis.call('DEL', KEYS[1])
        redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisGateway _gateway;
    private readonly RedisClusterIdentity _identity;
    private readonly IClusterSignalHandler _handler;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private ChannelMessageQueue? _mine;
    private ChannelMessageQueue? _all;
    private Task _renewing = Task.CompletedTask;
    private int _leaseFailing;
    private Task? _forsaking;

    public RedisClusterNode(IConnectionMultiplexer redis, RedisGateway gateway, RedisClusterIdentity identity, IClusterSignalHandler handler, TimeProvider time, ILogger<RedisClusterNode> logger)
    {
        _redis = redis;
        _gateway = gateway;
        _identity = identity;
        _handler = handler;
        _time = time;
        _logger = logger;
    }

    // Before any hosted service starts (the server among them), so no session of this run is taken for a previous one's.
    public Task StartingAsync(CancellationToken cancellationToken) => _forsaking ??= ForsakePreviousRunAsync();

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await (_forsaking ??= ForsakePreviousRunAsync()).ConfigureAwait(false);
        _redis.ConnectionRestored += OnConnectionRestored;
        var subscriber = _redis.GetSubscriber();

        // One queue per channel: each is handled in order, one signal at a time (a node's signals to another keep their order).
        _mine = await subscriber.SubscribeAsync(_gateway.Keys.NodeChannel(_identity.NodeId)).ConfigureAwait(false);
        _mine.OnMessage(HandleAsync);
        _all = await subscriber.SubscribeAsync(_gateway.Keys.AllNodesChannel).ConfigureAwait(false);
        _all.OnMessage(HandleAsync);
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

            if (_all is not null)
            {
                await _all.UnsubscribeAsync().ConfigureAwait(false);
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

    private async Task ForsakePreviousRunAsync()
    {
        var previous = $"{_identity.NodeId}~{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
        try
        {
            var left = (long)await _gateway.Database.ScriptEvaluateAsync(
                ForsakeScript,
                [_gateway.Keys.NodeUsers(_identity.NodeId), _gateway.Keys.Nodes],
                [_gateway.Keys.Prefix, _identity.NodeId, previous, (long)(_identity.Lease * 9).TotalMilliseconds]).ConfigureAwait(false);
            if (left > 0)
            {
                PreviousRunForsaken(_logger, _identity.NodeId, left);
            }
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            // Not fatal: those sessions still end when their heartbeats stop.
            PreviousRunNotForsaken(_logger, ex, _identity.NodeId);
        }
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
        if (e.ConnectionType != ConnectionType.Subscription)
        {
            return;
        }

        LinkRestored(_logger, _identity.NodeId);
        _ = CatchUpAsync();
    }

    private async Task CatchUpAsync()
    {
        try
        {
            await RenewLeaseAsync().ConfigureAwait(false);
            await _handler.ResynchronizeAsync(_stopping.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The next renewal or message tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            SignalFailed(_logger, ex);
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

    private async Task RenewLeaseAsync()
    {
        try
        {
            await _gateway.Database.StringSetAsync(_gateway.Keys.NodeLease(_identity.NodeId), 1, _identity.Lease).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _leaseFailing, 0) == 1)
            {
                LeaseRenewed(_logger, _identity.NodeId);
            }
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            // Logged once per outage, not at every tick.
            if (Interlocked.Exchange(ref _leaseFailing, 1) == 0)
            {
                LeaseNotRenewed(_logger, ex, _identity.NodeId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {Node} joined (lease {LeaseSeconds} s)")]
    private static partial void NodeStarted(ILogger logger, string node, double leaseSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster node {Node} could not renew its lease; should it stay cut off from Redis while other nodes are not, they end its sessions one lease after it lapses")]
    private static partial void LeaseNotRenewed(ILogger logger, Exception exception, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {Node} renewed its lease again")]
    private static partial void LeaseRenewed(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {Node} is linked to Redis again; its sessions read their kept messages again")]
    private static partial void LinkRestored(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {Node} found {Sessions} sessions of its previous run; the next sweep ends them")]
    private static partial void PreviousRunForsaken(ILogger logger, string node, long sessions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster node {Node} could not end the sessions of its previous run; they end when their heartbeats stop")]
    private static partial void PreviousRunNotForsaken(ILogger logger, Exception exception, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A cluster signal could not be carried out")]
    private static partial void SignalFailed(ILogger logger, Exception exception);
}
