namespace ChatRoom.Storage.Redis.Tests;

public sealed class RedisServerTests
{
    [Fact]
    public void Without_a_redis_server_the_fixture_fails_saying_how_to_install_one()
    {
        var empty = Directory.CreateTempSubdirectory("chatroom-no-redis-");
        try
        {
            var failure = Assert.Throws<InvalidOperationException>(() => RedisServer.FindBinary(null, empty.FullName));
            Assert.Contains("tools/redis/install.sh", failure.Message, StringComparison.Ordinal);

            var missing = Assert.Throws<InvalidOperationException>(() => RedisServer.FindBinary(Path.Combine(empty.FullName, "redis-server"), "/usr/bin"));
            Assert.Contains("tools/redis/install.sh", missing.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete();
        }
    }

    [Fact]
    public async Task A_stopped_server_starts_again_on_the_same_port_with_its_data()
    {
        await using var server = await RedisServer.StartAsync();
        using (var redis = await server.ConnectAsync())
        {
            await redis.GetDatabase().StringSetAsync("kept", "yes");
        }

        server.Stop();
        Assert.False(server.IsRunning);
        await server.StartAsync();

        using var again = await server.ConnectAsync();
        Assert.Equal("yes", (string?)await again.GetDatabase().StringGetAsync("kept"));
        Assert.Equal(server.Port, ((System.Net.IPEndPoint)again.GetEndPoints()[0]).Port);
    }
}
