using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Offline;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Tests;

/// <summary>
/// Opens the store under test on a server shared by the test class, under a key prefix of the test's own; reopening
/// is a new connection (a restarted node) on the same Redis and prefix.
/// </summary>
internal sealed class RedisStoreOpener(RedisServer server) : IDisposable
{
    private readonly string _keyPrefix = RedisServer.NewKeyPrefix();
    private ConnectionMultiplexer? _connection;

    public async Task<TStore> OpenAsync<TStore>(Func<IConnectionMultiplexer, string, TStore> create)
    {
        Dispose();
        _connection = await server.ConnectAsync();
        return create(_connection, _keyPrefix);
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _connection = null;
    }
}

public sealed class RedisOfflineStoreTests(RedisServer server) : DurableOfflineStoreContract, IClassFixture<RedisServer>, IDisposable
{
    private readonly RedisStoreOpener _opener = new(server);

    /// <summary>
    /// Each of the 200,000 calls is a round trip through the async client, and this process's count includes tests of
    /// other classes running beside it: 16 s (client and server) when run alone, and this process alone used 21 s in a
    /// CI run, over the default. A scan per read inside Redis would still take minutes.
    /// </summary>
    protected override TimeSpan BulkProcessorBudget => TimeSpan.FromSeconds(60);

    protected override Task<IOfflineStore> OpenAsync() => _opener.OpenAsync<IOfflineStore>(static (redis, prefix) => new RedisOfflineStore(redis, prefix));

    /// <summary>This process's and redis-server's: the store's work is done in the server (its scripts).</summary>
    protected override TimeSpan ProcessorTime() => Environment.CpuUsage.TotalTime + server.ProcessorTime;

    public void Dispose() => _opener.Dispose();
}

public sealed class RedisBlockListStoreTests(RedisServer server) : DurableBlockListStoreContract, IClassFixture<RedisServer>, IDisposable
{
    private readonly RedisStoreOpener _opener = new(server);

    protected override Task<IBlockListStore> OpenAsync() => _opener.OpenAsync<IBlockListStore>(static (redis, prefix) => new RedisBlockListStore(redis, prefix));

    public void Dispose() => _opener.Dispose();
}

public sealed class RedisLockoutStoreTests(RedisServer server) : DurableLockoutStoreContract, IClassFixture<RedisServer>, IDisposable
{
    private readonly RedisStoreOpener _opener = new(server);

    protected override Task<ILockoutStore> OpenAsync() => _opener.OpenAsync<ILockoutStore>(static (redis, prefix) => new RedisLockoutStore(redis, prefix));

    public void Dispose() => _opener.Dispose();
}
