using StackExchange.Redis;

namespace ChatRoom.Storage.Redis;

/// <summary>How ChatRoom connects to Redis: the host's configuration string, with the settings a node depends on.</summary>
internal static class RedisConnection
{
    /// <summary>
    /// The configuration to connect with. A node starts even when Redis is down (it refuses what it cannot store and
    /// recovers by itself when Redis returns), and commands wait at most <see cref="RedisChatRoomOptions.OperationTimeout"/>,
    /// queued or sent, before they fail.
    /// </summary>
    public static ConfigurationOptions Configure(RedisChatRoomOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = ConfigurationOptions.Parse(options.Configuration);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        configuration.SyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        // Reconnect soon after Redis returns (250 ms, growing to at most 2 s) rather than after the library's longer default.
        configuration.ReconnectRetryPolicy = new ExponentialRetry(250, 2_000);
        configuration.ClientName ??= "chatroom";
        return configuration;
    }
}
