using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Offline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Tests;

public sealed class AddChatRoomRedisTests(RedisServer server) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Each_start_of_a_named_node_is_a_new_member_of_the_cluster()
    {
        var first = new ServiceCollection().AddChatRoomCore().AddChatRoomRedis(server.Configuration, o => o.NodeId = "node-a");
        var second = new ServiceCollection().AddChatRoomCore().AddChatRoomRedis(server.Configuration, o => o.NodeId = "node-a");
        await using var one = first.BuildServiceProvider();
        await using var two = second.BuildServiceProvider();

        var ids = new[] { one, two }.Select(p => p.GetRequiredService<ChatRoom.Cluster.IClusterBus>().NodeId).ToList();

        Assert.All(ids, id => Assert.Matches("^node-a\\.[0-9a-f]{6}$", id));
        Assert.NotEqual(ids[0], ids[1]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_Redis_stores_replace_the_in_memory_ones_whether_added_before_or_after_the_core(bool redisFirst)
    {
        // The cluster's hosted service drives the session engine, which needs users.
        var services = new ServiceCollection().AddChatRoomCredentials([]);
        var prefix = RedisServer.NewKeyPrefix();
        if (redisFirst)
        {
            services.AddChatRoomRedis(server.Configuration, o => o.KeyPrefix = prefix).AddChatRoomCore();
        }
        else
        {
            services.AddChatRoomCore().AddChatRoomRedis(server.Configuration, o => o.KeyPrefix = prefix);
        }

        await using var provider = services.BuildServiceProvider();

        Assert.IsType<RedisOfflineStore>(provider.GetRequiredService<IOfflineStore>());
        Assert.IsType<RedisLockoutStore>(provider.GetRequiredService<ILockoutStore>());
        var blocks = Assert.IsType<RedisBlockListStore>(provider.GetRequiredService<IBlockListStore>());
        await blocks.AddAsync("seas", "columbia");
        var redis = provider.GetRequiredService<IConnectionMultiplexer>();
        Assert.True(await redis.GetDatabase().SetContainsAsync(prefix + "{seas}:blocks", "columbia")); // under the configured prefix
        Assert.Contains(provider.GetServices<IHostedService>(), s => s is RedisPersistenceCheck);
    }

    [Fact]
    public async Task The_connection_is_made_even_when_Redis_is_down_and_the_stores_fail_until_it_is_up()
    {
        var services = new ServiceCollection().AddChatRoomRedis("127.0.0.1:1", o =>
        {
            o.ConnectTimeout = TimeSpan.FromMilliseconds(200);
            o.OperationTimeout = TimeSpan.FromMilliseconds(500);
        });
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IOfflineStore>();

        Assert.False(provider.GetRequiredService<IConnectionMultiplexer>().IsConnected);
        await Assert.ThrowsAsync<ChatStoreException>(async () => await store.AppendAsync("seas", Messages.To("seas", "nowhere")));
    }

    [Theory]
    [InlineData("", "chatroom:", "Configuration must name a Redis server")]
    [InlineData("localhost:6379", "a{b", "KeyPrefix must not contain { or }")]
    [InlineData("localhost:6379", "}", "KeyPrefix must not contain { or }")]
    public void Bad_options_fail_at_start_naming_the_option(string configuration, string prefix, string problem)
    {
        using var provider = new ServiceCollection().AddChatRoomRedis(configuration, o => o.KeyPrefix = prefix).BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RedisChatRoomOptions>>().Value);

        Assert.Contains(problem, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Timeouts_out_of_range_and_a_long_prefix_are_refused()
    {
        var result = new RedisChatRoomOptionsValidator().Validate(null, new RedisChatRoomOptions
        {
            Configuration = "localhost",
            KeyPrefix = new string('p', 101),
            ConnectTimeout = TimeSpan.Zero,
            OperationTimeout = TimeSpan.FromHours(1),
        });

        Assert.Equal(3, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.StartsWith("KeyPrefix", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("ConnectTimeout", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("OperationTimeout", StringComparison.Ordinal));
        Assert.True(new RedisChatRoomOptionsValidator().Validate(null, new RedisChatRoomOptions { Configuration = "localhost", KeyPrefix = "" }).Succeeded);
    }

    [Fact]
    public void A_store_refuses_a_prefix_that_would_break_the_hash_tags()
    {
        using var redis = ConnectionMultiplexer.Connect(new ConfigurationOptions { EndPoints = { "127.0.0.1:1" }, AbortOnConnectFail = false, ConnectTimeout = 100 });

        Assert.Throws<ArgumentException>(() => new RedisOfflineStore(redis, "x{"));
    }

    [Fact]
    public async Task A_Redis_with_its_append_only_file_passes_the_start_check_quietly()
    {
        using var redis = await server.ConnectAsync();
        var logger = new FakeLogger<RedisPersistenceCheck>();

        await new RedisPersistenceCheck(redis, logger).CheckAsync();

        Assert.DoesNotContain(logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Information);
    }

    [Fact]
    public async Task A_Redis_without_its_append_only_file_is_named_in_one_warning_at_start()
    {
        await using var volatileServer = await RedisServer.StartAsync(appendOnly: false);
        using var redis = await volatileServer.ConnectAsync();
        var logger = new FakeLogger<RedisPersistenceCheck>();

        await new RedisPersistenceCheck(redis, logger).CheckAsync();

        var warning = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Information);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("appendonly no", warning.Message, StringComparison.Ordinal);
        Assert.Contains(volatileServer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_Redis_cannot_be_asked_the_start_check_says_so_at_debug_level_and_does_not_throw()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConnection.Configure(new RedisChatRoomOptions
        {
            Configuration = "127.0.0.1:1",
            ConnectTimeout = TimeSpan.FromMilliseconds(200),
            OperationTimeout = TimeSpan.FromMilliseconds(200),
        }));
        var logger = new FakeLogger<RedisPersistenceCheck>();

        await new RedisPersistenceCheck(redis, logger).CheckAsync();

        var record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Debug, record.Level);
    }
}
