using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis;

/// <summary>
/// At start, asks each Redis server (<c>CONFIG GET appendonly</c>) whether its append-only file is on and warns once when
/// it is not: without it, what a node acknowledged since Redis's last snapshot is lost when Redis stops. StackExchange.Redis
/// sends CONFIG (and INFO) only in admin mode, so the check makes a short-lived admin connection of its own instead of
/// opening admin commands on the shared one. When Redis is down or refuses CONFIG (managed services often do), it says
/// so at debug level and the node goes on. The check runs beside the start, never delaying it.
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
        var configuration = ConfigurationOptions.Parse(redis.Configuration);
        configuration.AllowAdmin = true;
        configuration.AbortOnConnectFail = true; // one attempt; the shared connection does the retrying
        configuration.ClientName = "chatroom-persistence-check";
        try
        {
            var admin = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
            await using (admin.ConfigureAwait(false))
            {
                foreach (var server in admin.GetServers())
                {
                    try
                    {
                        var values = await server.ConfigGetAsync("appendonly").ConfigureAwait(false);
                        var appendOnly = values.FirstOrDefault(static p => p.Key == "appendonly").Value;
                        if (appendOnly is null)
                        {
                            LogUnknown(logger, server.EndPoint, "CONFIG GET appendonly returned nothing");
                        }
                        else if (!appendOnly.Equals("yes", StringComparison.OrdinalIgnoreCase))
                        {
                            LogAppendOnlyOff(logger, server.EndPoint);
                        }
                    }
                    catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
                    {
                        LogUnknown(logger, server.EndPoint, ex.Message);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            LogUnreachable(logger, ex.Message);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Redis {Server} runs without its append-only file (appendonly no): messages and blocks acknowledged since its last snapshot are lost if it stops. Run it with appendonly yes and appendfsync always")]
    private static partial void LogAppendOnlyOff(ILogger logger, System.Net.EndPoint server);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Could not tell whether Redis {Server} persists: {Reason}")]
    private static partial void LogUnknown(ILogger logger, System.Net.EndPoint server, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Could not tell whether Redis persists: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string reason);
}
