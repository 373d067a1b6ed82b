using ChatRoom.Cluster;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Cluster;

/// <summary>
/// Signals between nodes over Redis pub/sub: each node listens on one channel of its own, and a signal for every node
/// is published on the channel of each node of the cluster. One channel per receiver keeps the order of a node's
/// signals to another, whether sent to it alone or to all (two channels are read by two loops, which do not).
/// Pub/sub keeps nothing, which suits the signals: what must last is stored before it is signalled.
/// </summary>
internal sealed partial class RedisClusterBus : IClusterBus
{
    // KEYS: the nodes set (every node adds itself when it renews its lease). ARGV: prefix, this node, the signal.
    // Builds the channel name as RedisKeys.NodeChannel does.
    private const string PublishScript = """
        for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          if node ~= ARGV[2] then redis.call('PUBLISH', ARGV[1] .. 'bus:node:' .. node, ARGV[3]) end
        end
        return 0
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _database;
    private readonly RedisKeys _keys;
    private readonly ILogger _logger;

    public RedisClusterBus(IConnectionMultiplexer redis, RedisGateway gateway, RedisClusterIdentity identity, ILogger<RedisClusterBus> logger)
    {
        _redis = redis;
        _keys = gateway.Keys;
        _database = gateway.Database;
        NodeId = identity.NodeId;
        _logger = logger;
    }

    public string NodeId { get; }

    // A signal that cannot be sent is not an error for the command that caused it: what it carries is stored, or (a
    // consent question) is refused as if the other side had gone.
    public async ValueTask<bool> SendAsync(string node, ClusterSignal signal, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _redis.GetSubscriber().PublishAsync(_keys.NodeChannel(node), ClusterCodec.Encode(NodeId, signal)).ConfigureAwait(false) > 0;
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            SignalLost(_logger, ex, signal.GetType().Name, node);
            return false;
        }
    }

    public async ValueTask PublishAsync(ClusterSignal signal, CancellationToken cancellationToken = default)
    {
        try
        {
            await _database.ScriptEvaluateAsync(PublishScript, [_keys.Nodes], [_keys.Prefix, NodeId, ClusterCodec.Encode(NodeId, signal)]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            SignalLost(_logger, ex, signal.GetType().Name, "every node");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send {Signal} to {Node}; its sessions catch up when the link returns")]
    private static partial void SignalLost(ILogger logger, Exception exception, string signal, string node);
}
