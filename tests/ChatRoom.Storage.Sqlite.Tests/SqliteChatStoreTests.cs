using ChatRoom.Auth;
using ChatRoom.Messaging;
using Microsoft.Data.Sqlite;

namespace ChatRoom.Storage.Sqlite.Tests;

public sealed class SqliteChatStoreTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("chatroom-store-");

    private string DataPath => Path.Combine(_folder.FullName, "chatroom.db");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task Messages_blocks_and_lockouts_survive_closing_and_reopening_in_order()
    {
        var first = Message("columbia", "one");
        var second = Message("columbia", "two");
        var locked = new LockoutState(0, DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        await using (var store = await SqliteChatStore.OpenAsync(DataPath))
        {
            await store.AppendAsync("columbia", first);
            await store.AppendAsync("columbia", second);
            Assert.True(await store.AddAsync("columbia", "seas"));
            Assert.True(await store.TryUpdateAsync("windows", LockoutState.Clear, locked));
        }

        await using var reopened = await SqliteChatStore.OpenAsync(DataPath);

        Assert.Equal([first, second], await reopened.MessagesAsync("columbia", 10));
        Assert.True(await reopened.ContainsAsync("columbia", "seas"));
        Assert.Equal(locked, await reopened.GetAsync("windows"));
    }

    [Fact]
    public async Task Acknowledged_messages_unblocks_and_cleared_lockouts_stay_gone_after_reopening()
    {
        var message = Message("columbia", "one");
        await using (var store = await SqliteChatStore.OpenAsync(DataPath))
        {
            await store.AppendAsync("columbia", message);
            await store.AddAsync("columbia", "seas");
            await store.TryUpdateAsync("windows", LockoutState.Clear, new LockoutState(2, null));

            await store.AcknowledgeAsync("columbia", [message.Id]);
            Assert.True(await store.RemoveAsync("columbia", "seas"));
            Assert.True(await store.TryUpdateAsync("windows", new LockoutState(2, null), LockoutState.Clear));
        }

        await using var reopened = await SqliteChatStore.OpenAsync(DataPath);

        Assert.Empty(await reopened.MessagesAsync("columbia", 10));
        Assert.False(await reopened.ContainsAsync("columbia", "seas"));
        Assert.Equal(LockoutState.Clear, await reopened.GetAsync("windows"));
    }

    [Fact]
    public async Task A_stale_compare_and_swap_is_refused_and_changes_nothing()
    {
        await using var store = await SqliteChatStore.OpenAsync(DataPath);
        await store.TryUpdateAsync("windows", LockoutState.Clear, new LockoutState(1, null));

        Assert.False(await store.TryUpdateAsync("windows", LockoutState.Clear, new LockoutState(1, null)));
        Assert.Equal(new LockoutState(1, null), await store.GetAsync("windows"));
    }

    [Fact]
    public async Task Many_concurrent_writes_are_committed_together_and_all_kept()
    {
        await using (var store = await SqliteChatStore.OpenAsync(DataPath))
        {
            await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => store.AppendAsync($"user{i % 7}", Message($"user{i % 7}", $"m{i}")).AsTask()));
        }

        await using var reopened = await SqliteChatStore.OpenAsync(DataPath);
        var total = 0;
        for (var u = 0; u < 7; u++)
        {
            total += (await reopened.MessagesAsync($"user{u}", 10_000)).Count;
        }

        Assert.Equal(2000, total);
    }

    [Fact]
    public async Task A_file_that_is_not_SQLite_is_refused_and_left_untouched()
    {
        await File.WriteAllTextAsync(DataPath, "these are my notes, not a database\n");
        var before = await File.ReadAllBytesAsync(DataPath);

        var ex = await Assert.ThrowsAsync<ChatStoreException>(() => SqliteChatStore.OpenAsync(DataPath));

        Assert.Contains(DataPath, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a ChatRoom database", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(DataPath));
    }

    [Fact]
    public async Task Another_applications_SQLite_file_is_refused_and_left_untouched()
    {
        await using (var other = new SqliteConnection($"Data Source={DataPath};Pooling=False"))
        {
            await other.OpenAsync();
            using var command = other.CreateCommand();
            command.CommandText = "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');";
            await command.ExecuteNonQueryAsync();
        }

        var before = await File.ReadAllBytesAsync(DataPath);

        var ex = await Assert.ThrowsAsync<ChatStoreException>(() => SqliteChatStore.OpenAsync(DataPath));

        Assert.Contains("another application", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(DataPath));
    }

    [Fact]
    public async Task A_newer_schema_version_is_refused_by_name()
    {
        await (await SqliteChatStore.OpenAsync(DataPath)).DisposeAsync();
        await using (var connection = new SqliteConnection($"Data Source={DataPath};Pooling=False"))
        {
            await connection.OpenAsync();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            await command.ExecuteNonQueryAsync();
        }

        var ex = await Assert.ThrowsAsync<ChatStoreException>(() => SqliteChatStore.OpenAsync(DataPath));

        Assert.Contains("schema version 99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_file_is_refused_and_left_untouched()
    {
        await (await SqliteChatStore.OpenAsync(DataPath)).DisposeAsync();
        var bytes = await File.ReadAllBytesAsync(DataPath);
        new Random(7).NextBytes(bytes.AsSpan(16));
        await File.WriteAllBytesAsync(DataPath, bytes);

        await Assert.ThrowsAsync<ChatStoreException>(() => SqliteChatStore.OpenAsync(DataPath));

        Assert.Equal(bytes, await File.ReadAllBytesAsync(DataPath));
    }

    private static ChatMessage Message(string to, string text)
        => new(MessageId.New(TimeProvider.System), MessageKind.Direct, "seas", to, text, DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_000));
}
