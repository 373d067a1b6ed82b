using System.Diagnostics;
using ChatRoom.Cluster;
using ChatRoom.Presence;
using ChatRoom.Storage.Redis.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

/// <summary>
/// When a node's lease lapses its sessions end, but only once the lease has been missing for a whole lease: a lease that
/// lapsed while Redis was down (nobody could renew it) must not end the sessions of nodes that are alive.
/// </summary>
public sealed class NodeLeaseTests(RedisServer server) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(1);

    private ConnectionMultiplexer _redis = null!;
    private RedisGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _redis = await server.ConnectAsync();
        _gateway = new RedisGateway(_redis, RedisServer.NewKeyPrefix());
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task A_lease_that_lapsed_gives_its_node_one_lease_to_renew_it_before_its_sessions_end()
    {
        var nodeA = Directory("node-a");
        await nodeA.LoginAsync(Session("alice", "node-a"));

        // Redis was away longer than the lease: the key lapsed although node-a is alive, and renews it on return.
        await _gateway.Database.KeyDeleteAsync(_gateway.Keys.NodeLease("node-a"));
        var nodeB = Directory("node-b");
        Assert.Empty(await nodeB.SweepAsync());
        await _gateway.Database.StringSetAsync(_gateway.Keys.NodeLease("node-a"), 1, Lease);

        Assert.Empty(await nodeB.SweepAsync());
        Assert.NotNull(await nodeB.FindAsync("alice"));
        Assert.False(await _gateway.Database.KeyExistsAsync(_gateway.Keys.NodeMissing("node-a")), "a renewed lease must start the next lapse's grace afresh");
    }

    [Fact]
    public async Task A_dead_nodes_sessions_end_once_its_lease_has_been_missing_for_a_lease()
    {
        await Directory("node-a").LoginAsync(Session("alice", "node-a"));
        await _gateway.Database.KeyDeleteAsync(_gateway.Keys.NodeLease("node-a"));
        var nodeB = Directory("node-b");
        Assert.Empty(await nodeB.SweepAsync());
        var lapsed = Stopwatch.StartNew();

        // Sweeps as the server's loop runs them, each a short while apart, for at most ten leases.
        IReadOnlyList<SessionInfo> ended = [];
        while (ended.Count == 0 && lapsed.Elapsed < Lease * 10)
        {
            await Task.Delay(50);
            ended = await nodeB.SweepAsync();
        }

        Assert.Equal("alice", Assert.Single(ended).User);
        Assert.InRange(lapsed.Elapsed, Lease - TimeSpan.FromMilliseconds(100), Lease * 3);
        Assert.Null(await nodeB.FindAsync("alice"));
        Assert.Empty(await nodeB.SweepAsync());
    }

    [Fact]
    public async Task A_node_that_stops_has_its_sessions_ended_by_the_next_sweep_without_waiting_a_lease()
    {
        var identity = new RedisClusterIdentity("node-a", Lease);
        var node = new RedisClusterNode(_redis, _gateway, identity, new IgnoredSignals(), TimeProvider.System, NullLogger<RedisClusterNode>.Instance);
        await node.StartAsync(CancellationToken.None);
        await Directory("node-a").LoginAsync(Session("alice", "node-a"));

        await node.StopAsync(CancellationToken.None);
        await node.DisposeAsync();

        Assert.Equal("alice", Assert.Single(await Directory("node-b").SweepAsync()).User);
    }

    private RedisPresenceDirectory Directory(string node)
    {
        var identity = new RedisClusterIdentity(node, Lease);
        return new(_gateway, identity, TimeProvider.System, new FixedOptions(new ChatRoomOptions()));
    }

    private static SessionInfo Session(string user, string node)
    {
        var now = DateTimeOffset.UtcNow;
        return new SessionInfo(SessionId.New(), user, "127.0.0.1", null, now, now) { Node = node };
    }

    private sealed class FixedOptions(ChatRoomOptions value) : IOptionsMonitor<ChatRoomOptions>
    {
        public ChatRoomOptions CurrentValue => value;

        public ChatRoomOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ChatRoomOptions, string?> listener) => null;
    }

    private sealed class IgnoredSignals : IClusterSignalHandler
    {
        public ValueTask HandleAsync(ClusterSignal signal, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask ResynchronizeAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
