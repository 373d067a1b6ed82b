using ChatRoom.Presence;
using ChatRoom.Storage.Redis.Cluster;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

/// <summary>One test's view of a Redis: its own key prefix, a raw connection to look at keys, and "nodes" (each its own connection).</summary>
internal sealed class ClusterTestKit : IAsyncDisposable
{
    private readonly List<ConnectionMultiplexer> _connections = [];

    private ClusterTestKit(RedisServer server, ConnectionMultiplexer raw)
    {
        Server = server;
        Raw = raw.GetDatabase();
        _connections.Add(raw);
    }

    public RedisServer Server { get; }

    public string Prefix { get; } = RedisServer.NewKeyPrefix();

    public RedisKeys Keys => new(Prefix);

    public IDatabase Raw { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));

    public ChatRoomOptions Options { get; } = new() { HeartbeatTimeout = TimeSpan.FromSeconds(75) };

    public static async Task<ClusterTestKit> StartAsync(RedisServer server) => new(server, await server.ConnectAsync());

    public async Task<ConnectionMultiplexer> ConnectAsync(TimeSpan? operationTimeout = null)
    {
        var connection = await Server.ConnectAsync(operationTimeout);
        _connections.Add(connection);
        return connection;
    }

    public async Task<RedisPresenceDirectory> PresenceAsync(string node, TimeSpan? lease = null, TimeSpan? operationTimeout = null)
    {
        var identity = new RedisClusterIdentity(node, lease ?? TimeSpan.FromMinutes(5));
        return new(new RedisGateway(await ConnectAsync(operationTimeout), Prefix), identity, Time, new Monitor<ChatRoomOptions>(Options));
    }

    /// <summary>
    /// <paramref name="node"/> is dead as a sweep tells it: its lease is gone and has been missing for longer than a
    /// lease (the marker the first sweep sets, aged past the grace that lets a live node renew after a Redis outage).
    /// </summary>
    public async Task LeaseLapsedLongAgoAsync(string node)
    {
        await Raw.KeyDeleteAsync(Keys.NodeLease(node));
        await Raw.StringSetAsync(Keys.NodeMissing(node), "1", TimeSpan.FromMinutes(1));
    }

    public async Task<RedisConsentDirectory> ConsentAsync(TimeSpan? operationTimeout = null)
        => new(new RedisGateway(await ConnectAsync(operationTimeout), Prefix));

    public SessionInfo NewSession(string user, string? node, DateTimeOffset? beat = null)
        => new(SessionId.New(), user, "192.0.2.1", 5000, Time.GetUtcNow(), beat ?? Time.GetUtcNow()) { Node = node };

    public async Task<HashSet<string>> MembersAsync(RedisKey key) => [.. (await Raw.SetMembersAsync(key)).Select(static v => v.ToString())];

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    internal sealed class Monitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
