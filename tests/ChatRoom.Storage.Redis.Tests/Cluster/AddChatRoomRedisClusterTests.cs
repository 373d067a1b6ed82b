using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Cluster;
using ChatRoom.Consent;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Storage.Redis.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

public sealed class AddChatRoomRedisClusterTests(RedisServer server) : IClassFixture<RedisServer>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_Redis_stores_and_cluster_parts_replace_the_defaults_in_either_order(bool coreFirst)
    {
        // The core needs somewhere to read accounts from; what it is does not matter here.
        var services = new ServiceCollection().AddSingleton(NSubstitute.Substitute.For<ICredentialSource>());
        var prefix = RedisServer.NewKeyPrefix();
        if (coreFirst)
        {
            services.AddChatRoomCore();
        }

        services.AddChatRoomRedis(server.Configuration, o =>
        {
            o.KeyPrefix = prefix;
            o.NodeId = "node-7";
        });
        if (!coreFirst)
        {
            services.AddChatRoomCore();
        }

        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        Assert.IsType<RedisPresenceDirectory>(provider.GetRequiredService<IPresenceService>());
        Assert.IsType<RedisConsentDirectory>(provider.GetRequiredService<IConsentDirectory>());
        var bus = Assert.IsType<RedisClusterBus>(provider.GetRequiredService<IClusterBus>());
        Assert.IsType<RedisOfflineStore>(provider.GetRequiredService<IOfflineStore>());
        Assert.IsType<RedisBlockListStore>(provider.GetRequiredService<IBlockListStore>());
        Assert.IsType<RedisLockoutStore>(provider.GetRequiredService<ILockoutStore>());
        Assert.Single(provider.GetServices<IHostedService>().OfType<RedisClusterNode>());
        Assert.StartsWith("node-7.", bus.NodeId, StringComparison.Ordinal); // the name, then this run's id

        // The directory records sessions on the node the bus names.
        var presence = provider.GetRequiredService<IPresenceService>();
        var login = await presence.LoginAsync(new SessionInfo(SessionId.New(), "ann", "::1", null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));
        Assert.Equal(bus.NodeId, login.Session.Node);
        Assert.Equal(bus.NodeId, (await presence.FindAsync("ann"))!.Node);
    }

    [Fact]
    public void Without_a_NodeId_the_node_gets_a_valid_one_of_its_own()
    {
        using var one = Provider(static _ => { });
        using var two = Provider(static _ => { });

        var first = one.GetRequiredService<IClusterBus>().NodeId;

        Assert.True(RedisChatRoomOptionsValidator.IsNodeId(first), first);
        Assert.NotEqual(first, two.GetRequiredService<IClusterBus>().NodeId);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("node a")]
    [InlineData("node:a")]
    [InlineData("node{a}")]
    [InlineData("nöde")]
    [InlineData("node*")]
    [InlineData("node\n")]
    public void A_bad_NodeId_is_refused(string node)
    {
        using var provider = Provider(o => o.NodeId = node);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RedisChatRoomOptions>>().Value);
        Assert.Contains(nameof(RedisChatRoomOptions.NodeId), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NodeId_length_is_checked_at_the_limit()
    {
        using (var ok = Provider(static o => o.NodeId = new string('n', 100)))
        {
            Assert.Equal(new string('n', 100), ok.GetRequiredService<IOptions<RedisChatRoomOptions>>().Value.NodeId);
        }

        using var tooLong = Provider(static o => o.NodeId = new string('n', 101));
        Assert.Throws<OptionsValidationException>(() => tooLong.GetRequiredService<IOptions<RedisChatRoomOptions>>().Value);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1_000)]
    [InlineData(999)]
    [InlineData(300_001)]
    public void A_bad_NodeLease_is_refused(int milliseconds)
    {
        using var provider = Provider(o => o.NodeLease = TimeSpan.FromMilliseconds(milliseconds));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RedisChatRoomOptions>>().Value);
        Assert.Contains(nameof(RedisChatRoomOptions.NodeLease), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(300_000)]
    public void NodeLease_limits_are_allowed(int milliseconds)
    {
        using var provider = Provider(o => o.NodeLease = TimeSpan.FromMilliseconds(milliseconds));

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), provider.GetRequiredService<IOptions<RedisChatRoomOptions>>().Value.NodeLease);
    }

    private ServiceProvider Provider(Action<RedisChatRoomOptions> configure)
        => new ServiceCollection().AddChatRoomCore().AddChatRoomRedis(server.Configuration, o =>
        {
            o.KeyPrefix = RedisServer.NewKeyPrefix();
            configure(o);
        }).BuildServiceProvider();
}
