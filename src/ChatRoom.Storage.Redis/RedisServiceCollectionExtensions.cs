using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Cluster;
using ChatRoom.Consent;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Storage.Redis;
using ChatRoom.Storage.Redis.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatRoom;

/// <summary>Registers the Redis stores, so that several server nodes share one state.</summary>
public static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// Keeps unacknowledged messages, block lists and lockouts in Redis at <paramref name="configuration"/> (a
    /// StackExchange.Redis configuration string), in place of the in-memory stores, whether called before or after
    /// <c>AddChatRoomCore</c>. Registers one shared <see cref="IConnectionMultiplexer"/> (unless the host registered one),
    /// which connects without failing when Redis is down and reconnects by itself, and a start-up check that warns when
    /// Redis runs without its append-only file. Options are validated at start.
    /// </summary>
    public static IServiceCollection AddChatRoomRedis(this IServiceCollection services, string configuration, Action<RedisChatRoomOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = services.AddOptions<RedisChatRoomOptions>().Configure(o => o.Configuration = configuration).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisChatRoomOptions>, RedisChatRoomOptionsValidator>());
        services.TryAddSingleton<IConnectionMultiplexer>(static provider =>
            ConnectionMultiplexer.Connect(RedisConnection.Configure(provider.GetRequiredService<IOptions<RedisChatRoomOptions>>().Value)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisPersistenceCheck>());

        // Added, not tried: these replace the in-memory defaults AddChatRoomCore registers with TryAdd, in either order.
        services.AddSingleton<IOfflineStore>(static provider => new RedisOfflineStore(Redis(provider), KeyPrefix(provider)));
        services.AddSingleton<IBlockListStore>(static provider => new RedisBlockListStore(Redis(provider), KeyPrefix(provider)));
        services.AddSingleton<ILockoutStore>(static provider => new RedisLockoutStore(Redis(provider), KeyPrefix(provider)));

        // The cluster: presence and consent questions shared by every node, signals between nodes, this node's lease.
        services.TryAddSingleton(static provider => new RedisGateway(Redis(provider), KeyPrefix(provider)));
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<RedisChatRoomOptions>>().Value;
            // Each run is a member of its own: a restarted node must not inherit the sessions its previous run held,
            // which end when that run's lease lapses.
            var run = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
            return new RedisClusterIdentity($"{options.NodeId ?? DefaultNodeName()}.{run}", options.NodeLease);
        });
        services.AddSingleton<IPresenceService, RedisPresenceDirectory>();
        services.AddSingleton<IConsentDirectory, RedisConsentDirectory>();
        services.AddSingleton<IClusterBus, RedisClusterBus>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisClusterNode>());
        return services;
    }

    private static string DefaultNodeName()
    {
        var host = new string([.. Environment.MachineName.Where(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-').Take(60)]);
        return $"{(host.Length == 0 ? "node" : host)}-{Environment.ProcessId}";
    }

    private static IConnectionMultiplexer Redis(IServiceProvider provider) => provider.GetRequiredService<IConnectionMultiplexer>();

    private static string KeyPrefix(IServiceProvider provider) => provider.GetRequiredService<IOptions<RedisChatRoomOptions>>().Value.KeyPrefix;
}
