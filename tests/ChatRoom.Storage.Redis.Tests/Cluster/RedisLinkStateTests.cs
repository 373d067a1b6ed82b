using ChatRoom.Storage.Redis.Cluster;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

/// <summary>
/// After the link to Redis broke, a node's sweep ends nobody until the link is back and two leases have passed: every
/// node's lease lapsed during the outage, and the live ones must have time to renew before anyone is called dead.
/// </summary>
public sealed class RedisLinkStateTests(RedisServer server) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);
    private ClusterTestKit _kit = null!;

    public async Task InitializeAsync() => _kit = await ClusterTestKit.StartAsync(server);

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Fact]
    public async Task A_lapsed_lease_is_not_swept_while_the_link_is_down_nor_for_two_leases_after_it_returns()
    {
        var a = await _kit.PresenceAsync("node-a");
        await a.LoginAsync(_kit.NewSession("seas", "node-a"));
        var identity = new RedisClusterIdentity("node-b", Lease);
        var link = new RedisLinkState(_kit.Time, identity);
        var options = new ClusterTestKit.Monitor<ChatRoomOptions>(_kit.Options);
        var b = new RedisPresenceDirectory(new RedisGateway(await _kit.ConnectAsync(), _kit.Prefix), identity, link, _kit.Time, options);
        await _kit.Raw.KeyDeleteAsync(_kit.Keys.NodeLease("node-a"));

        link.Lost();
        Assert.Empty(await b.SweepAsync());
        _kit.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(await b.SweepAsync()); // still down: no amount of time lets it sweep

        link.Restored();
        _kit.Time.Advance(Lease + Lease - TimeSpan.FromMilliseconds(1));
        Assert.Empty(await b.SweepAsync());
        Assert.NotNull(await b.FindAsync("seas"));

        _kit.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("seas", Assert.Single(await b.SweepAsync()).User);
    }

    [Fact]
    public async Task A_node_that_never_lost_its_link_sweeps_at_once()
    {
        var a = await _kit.PresenceAsync("node-a");
        await a.LoginAsync(_kit.NewSession("seas", "node-a"));
        var b = await _kit.PresenceAsync("node-b");
        await _kit.Raw.KeyDeleteAsync(_kit.Keys.NodeLease("node-a"));

        Assert.Equal("seas", Assert.Single(await b.SweepAsync()).User);
    }
}
