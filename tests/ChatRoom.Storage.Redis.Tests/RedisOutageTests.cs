using System.Diagnostics;
using ChatRoom.Auth;
using ChatRoom.Offline;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Tests;

/// <summary>Redis stopped, killed, refusing, and back: each test runs a redis-server of its own, since it stops it.</summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan s_operationTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);
    private readonly string _prefix = RedisServer.NewKeyPrefix();
    private RedisServer _server = null!;
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        _server = await RedisServer.StartAsync();
        _redis = await _server.ConnectAsync(s_operationTimeout);
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task While_Redis_is_down_every_write_and_read_fails_with_a_store_error_within_a_bounded_time()
    {
        IOfflineStore messages = new RedisOfflineStore(_redis, _prefix);
        var blocks = new RedisBlockListStore(_redis, _prefix);
        var lockouts = new RedisLockoutStore(_redis, _prefix);
        var lost = Messages.To("seas", "never stored");

        _server.Stop();

        // All at once: each must fail on its own, within the bound, however many wait.
        await Task.WhenAll(
            AssertFailsSoonAsync(async () => await messages.AppendAsync("seas", lost)),
            AssertFailsSoonAsync(async () => await messages.TryAppendAsync("seas", Messages.To("seas", "x"), new MailboxLimits(10, 100))),
            AssertFailsSoonAsync(async () => await messages.ReadAsync("seas", 0, 10)),
            AssertFailsSoonAsync(async () => await messages.AcknowledgeAsync("seas", [lost.Id])),
            AssertFailsSoonAsync(async () => await blocks.AddAsync("seas", "columbia")),
            AssertFailsSoonAsync(async () => await blocks.RemoveAsync("seas", "columbia")),
            AssertFailsSoonAsync(async () => await blocks.ContainsAsync("seas", "columbia")),
            AssertFailsSoonAsync(async () => await blocks.ListAsync("seas")),
            AssertFailsSoonAsync(async () => await lockouts.TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(1, null))),
            AssertFailsSoonAsync(async () => await lockouts.GetAsync("seas")),
            AssertFailsSoonAsync(async () => await lockouts.PurgeAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)));

        // A failed write stays failed: it is not sent later, when Redis is back.
        await RestartAndWaitForReconnectAsync();
        Assert.Empty(await messages.ReadAsync("seas", 0, 10));
        Assert.Empty(await blocks.ListAsync("seas"));
        Assert.Equal(LockoutState.Clear, await lockouts.GetAsync("seas"));
    }

    [Fact]
    public async Task When_Redis_returns_the_same_stores_work_again_with_what_they_held()
    {
        IOfflineStore messages = new RedisOfflineStore(_redis, _prefix);
        var blocks = new RedisBlockListStore(_redis, _prefix);
        var lockouts = new RedisLockoutStore(_redis, _prefix);
        var kept = Messages.To("seas", "kept");
        var first = await messages.AppendAsync("seas", kept);
        await blocks.AddAsync("seas", "columbia");
        await lockouts.TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(1, null));

        _server.Stop();
        await AssertFailsSoonAsync(async () => await messages.AppendAsync("seas", Messages.To("seas", "refused")));
        await RestartAndWaitForReconnectAsync();

        var later = Messages.To("seas", "later");
        Assert.Equal(first + 1, await messages.AppendAsync("seas", later));
        Assert.Equal([kept, later], await messages.MessagesAsync("seas"));
        Assert.True(await blocks.ContainsAsync("seas", "columbia"));
        Assert.True(await lockouts.TryUpdateAsync("seas", new LockoutState(1, null), new LockoutState(2, null)));
    }

    [Fact]
    public async Task What_Redis_confirmed_is_there_after_redis_server_is_killed_and_started_again()
    {
        IOfflineStore messages = new RedisOfflineStore(_redis, _prefix);
        var sent = Enumerable.Range(0, 500).Select(i => Messages.To("seas", $"message {i} ✓")).ToList();
        var sequences = await Task.WhenAll(sent.Select(m => messages.AppendAsync("seas", m).AsTask()));
        await messages.AcknowledgeAsync("seas", [.. sent.Take(100).Select(m => m.Id)]);
        await new RedisBlockListStore(_redis, _prefix).AddAsync("seas", "columbia");
        var locked = new LockoutState(3, DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000), DateTimeOffset.FromUnixTimeMilliseconds(1_799_999_000_000));
        await new RedisLockoutStore(_redis, _prefix).TryUpdateAsync("seas", LockoutState.Clear, locked);

        _server.Stop(); // SIGKILL: only what is in the append-only file comes back
        await _server.StartAsync();
        using var node = await _server.ConnectAsync();
        IOfflineStore reopened = new RedisOfflineStore(node, _prefix);

        var read = await reopened.ReadAllAsync("seas");
        Assert.Equal(sent.Skip(100), read.Select(s => s.Message));
        Assert.Equal(sequences.Skip(100), read.Select(s => s.Sequence));
        Assert.Equal(sequences.Max() + 1, await reopened.AppendAsync("seas", Messages.To("seas", "after the restart")));
        Assert.True(await new RedisBlockListStore(node, _prefix).ContainsAsync("seas", "columbia"));
        Assert.Equal(locked, await new RedisLockoutStore(node, _prefix).GetAsync("seas"));
    }

    [Fact]
    public async Task A_write_Redis_refuses_for_lack_of_memory_is_a_store_error_and_changes_nothing()
    {
        IOfflineStore messages = new RedisOfflineStore(_redis, _prefix);
        var kept = Messages.To("seas", "kept");
        await messages.AppendAsync("seas", kept);
        using var admin = await ConnectionMultiplexer.ConnectAsync(_server.Configuration + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        await server.ConfigSetAsync("maxmemory", "1"); // every write that needs memory is refused with OOM

        var append = await Assert.ThrowsAsync<ChatStoreException>(async () => await messages.AppendAsync("seas", Messages.To("seas", "refused")));
        var acknowledge = await Assert.ThrowsAsync<ChatStoreException>(async () => await messages.AcknowledgeAsync("seas", [kept.Id]));
        await Assert.ThrowsAsync<ChatStoreException>(async () => await new RedisBlockListStore(_redis, _prefix).AddAsync("seas", "columbia"));
        await Assert.ThrowsAsync<ChatStoreException>(async () => await new RedisLockoutStore(_redis, _prefix).TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(1, null)));

        Assert.Contains("OOM", append.Message, StringComparison.Ordinal);
        Assert.Contains("OOM", acknowledge.Message, StringComparison.Ordinal);
        Assert.IsType<RedisServerException>(append.InnerException);
        await server.ConfigSetAsync("maxmemory", "0");
        Assert.Equal([kept], await messages.MessagesAsync("seas")); // the refused acknowledgement removed nothing
        var limits = new MailboxLimits(MaxMessages: 2, MaxBytes: "kept".Length + 1);
        Assert.NotNull(await messages.TryAppendAsync("seas", Messages.To("seas", "x"), limits)); // and left the byte total right
        Assert.Null(await messages.TryAppendAsync("seas", Messages.To("seas", "y"), limits with { MaxMessages = 3 }));
    }

    private static async Task AssertFailsSoonAsync(Func<Task> operation)
    {
        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<ChatStoreException>(operation);
        Assert.True(clock.Elapsed < s_bound, $"took {clock.Elapsed} to fail");
        Assert.StartsWith("redis 127.0.0.1:", failure.Path, StringComparison.Ordinal);
    }

    private async Task RestartAndWaitForReconnectAsync()
    {
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                restored.TrySetResult();
            }
        };
        await _server.StartAsync();
        if (!_redis.IsConnected)
        {
            await restored.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
