using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis;

/// <summary>Where ChatRoom keeps its shared state in Redis and how long it waits for it. Validated at start.</summary>
public sealed class RedisChatRoomOptions
{
    /// <summary>The key prefix used when none is set: <c>chatroom:</c>.</summary>
    public const string DefaultKeyPrefix = "chatroom:";

    /// <summary>The StackExchange.Redis configuration string, such as <c>localhost:6379</c> or <c>redis1:6379,password=…</c>. Required.</summary>
    public string Configuration { get; set; } = "";

    /// <summary>
    /// Put before every key, so that several ChatRoom deployments (or tests) can share one Redis. Default <c>chatroom:</c>;
    /// at most 100 characters, without <c>{</c> or <c>}</c> (those mark the part of a key that Redis Cluster hashes).
    /// </summary>
    public string KeyPrefix { get; set; } = DefaultKeyPrefix;

    /// <summary>How long one attempt to connect may take. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a command may wait for its reply, including time queued while the connection is down, before the store
    /// gives up with a <see cref="ChatStoreException"/>. Default 5 s.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// This node's name in the cluster: letters, digits, <c>.</c>, <c>_</c> and <c>-</c>, at most 100. Each start adds a
    /// random part after a dot, so a restarted node is a new member and the sessions of its previous run end when that
    /// run's lease lapses. Default: null, the host name and the process id.
    /// </summary>
    public string? NodeId { get; set; }

    /// <summary>
    /// How long this node's lease lasts unless renewed (it renews it three times a lease). When a node dies, its sessions
    /// end one to two leases after its last renewal (once the lease has lapsed, the other nodes wait one more lease, so a
    /// lease that lapsed while Redis itself was away ends nobody's session), and its users are then shown offline. Their
    /// logging in elsewhere needs no wait. Default 10 s; 1 s to 5 min; give every node the same.
    /// </summary>
    public TimeSpan NodeLease { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Checks <see cref="RedisChatRoomOptions"/>.</summary>
internal sealed class RedisChatRoomOptionsValidator : IValidateOptions<RedisChatRoomOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisChatRoomOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            failures.Add($"{nameof(RedisChatRoomOptions.Configuration)} must name a Redis server (such as localhost:6379).");
        }
        else
        {
            try
            {
                if (ConfigurationOptions.Parse(options.Configuration).EndPoints.Count == 0)
                {
                    failures.Add($"{nameof(RedisChatRoomOptions.Configuration)} names no Redis server.");
                }
            }
            catch (ArgumentException ex)
            {
                failures.Add($"{nameof(RedisChatRoomOptions.Configuration)} cannot be read: {ex.Message}");
            }
        }

        if (RedisKeys.CheckPrefix(options.KeyPrefix) is { } problem)
        {
            failures.Add($"{nameof(RedisChatRoomOptions.KeyPrefix)} {problem}");
        }

        if (options.ConnectTimeout < TimeSpan.FromMilliseconds(100) || options.ConnectTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{nameof(RedisChatRoomOptions.ConnectTimeout)} must be from 100 ms to 5 min (was {options.ConnectTimeout}).");
        }

        if (options.OperationTimeout < TimeSpan.FromMilliseconds(100) || options.OperationTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{nameof(RedisChatRoomOptions.OperationTimeout)} must be from 100 ms to 5 min (was {options.OperationTimeout}).");
        }

        if (options.NodeId is { } node && !IsNodeId(node))
        {
            failures.Add($"{nameof(RedisChatRoomOptions.NodeId)} must be 1 to 100 letters, digits, '.', '_' or '-' (was '{node}').");
        }

        if (options.NodeLease < TimeSpan.FromSeconds(1) || options.NodeLease > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{nameof(RedisChatRoomOptions.NodeLease)} must be from 1 s to 5 min (was {options.NodeLease}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Whether <paramref name="node"/> can name a node: it goes into key and channel names as it is.</summary>
    internal static bool IsNodeId(string node)
        => node.Length is > 0 and <= 100 && node.All(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
