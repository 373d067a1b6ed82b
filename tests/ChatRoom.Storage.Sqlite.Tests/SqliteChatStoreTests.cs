using ChatRoom.Offline;
using Microsoft.Data.Sqlite;

namespace ChatRoom.Storage.Sqlite.Tests;

public sealed class SqliteChatStoreTests : IDisposable
{
    private readonly TemporaryDataFile _file = new();

    private string DataPath => _file.Path;

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task A_burst_of_concurrent_writes_to_many_recipients_is_all_kept_after_reopening()
    {
        await using (var store = await _file.OpenAsync())
        {
            await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => store.AppendAsync($"user{i % 7}", Messages.To($"user{i % 7}", $"m{i}")).AsTask()));
        }

        await using var reopened = await _file.OpenAsync();
        var total = 0;
        for (var u = 0; u < 7; u++)
        {
            total += (await reopened.ReadAllAsync($"user{u}")).Count;
        }

        Assert.Equal(2000, total);
    }

    [Fact]
    public async Task A_batch_that_cannot_be_stored_fails_its_callers_and_changes_nothing()
    {
        await using var store = await _file.OpenAsync();
        await ExecuteAsync("CREATE TRIGGER refuse_messages BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk full'); END;");

        var ex = await Assert.ThrowsAsync<ChatStoreException>(async () => await store.AppendAsync("seas", Messages.To("seas", "lost")));

        Assert.Contains("disk full", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await store.ReadAsync("seas", 0, 10));
        await ExecuteAsync("DROP TRIGGER refuse_messages");
        Assert.Equal(1, await store.AppendAsync("seas", Messages.To("seas", "kept"))); // the failed append took no sequence
        Assert.Equal(["kept"], (await store.MessagesAsync("seas")).Select(m => m.Text));
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
        await ExecuteAsync("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');");

        var before = await File.ReadAllBytesAsync(DataPath);

        var ex = await Assert.ThrowsAsync<ChatStoreException>(() => SqliteChatStore.OpenAsync(DataPath));

        Assert.Contains("another application", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(DataPath));
    }

    [Fact]
    public async Task A_newer_schema_version_is_refused_by_name()
    {
        await (await SqliteChatStore.OpenAsync(DataPath)).DisposeAsync();
        await ExecuteAsync("PRAGMA user_version = 99");

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

    /// <summary>Runs <paramref name="sql"/> on the data file through a connection of its own, as another program would.</summary>
    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DataPath};Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
