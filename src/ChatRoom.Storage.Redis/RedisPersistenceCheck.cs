using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis;

/// <summary>
/// At start, asks each Redis server whether its append-only file is on and warns once when it is not: without it, what a
/// node acknowledged since Redis's last snapshot is lost when Redis stops. Uses INFO, not CONFIG GET, because managed
/// Redis services often forbid CONFIG and StackExchange.Redis runs it only in admin mode; when INFO is refused or Redis
/// is down, it says so at debug level and the node goes on. The check runs beside the start, never delaying it.
/// </summary>
internal sealed partial class RedisPersistenceCheck(IConnectionMultiplexer redis, ILogger<RedisPersistenceCheck> logger) : IHostedService
{
    private Task _check = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _check = CheckAsync();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _check.WaitAsync(cancellationToken);

    /// <summary>Whether each server runs with the append-only file; logs what it finds. Never throws.</summary>
    internal async Task CheckAsync()
    {
        foreach (var server in redis.GetServers())
        {
            try
            {
                // Sent as a plain command: the library's InfoAsync is refused unless the whole connection is in admin mode.
                var reply = await server.ExecuteAsync("INFO", "persistence").ConfigureAwait(false);
                var aof = reply.ToString()?.Split('\n').Select(static l => l.Trim()).FirstOrDefault(static l => l.StartsWith("aof_enabled:", StringComparison.Ordinal))?["aof_enabled:".Length..];
                if (aof is null)
                {
                    LogUnknown(logger, server.EndPoint, "INFO persistence has no aof_enabled");
                }
                else if (aof != "1")
                {
                    LogAppendOnlyOff(logger, server.EndPoint);
                }
            }
            catch (Exception ex) when (ex is RedisException or RedisTimeoutException or RedisCommandException)
            {
                LogUnknown(logger, server.EndPoint, ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Redis {Server} runs without its append-only file (appendonly no): messages and blocks acknowledged since its last snapshot are lost if it stops. Run it with appendonly yes and appendfsync always")]
    private static partial void LogAppendOnlyOff(ILogger logger, System.Net.EndPoint server);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Could not tell whether Redis {Server} persists: {Reason}")]
    private static partial void LogUnknown(ILogger logger, System.Net.EndPoint server, string reason);
}
