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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
