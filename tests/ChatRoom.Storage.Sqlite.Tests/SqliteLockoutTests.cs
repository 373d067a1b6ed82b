using ChatRoom.Auth;
using Microsoft.Data.Sqlite;

namespace ChatRoom.Storage.Sqlite.Tests;

/// <summary>The lockout part of the SQLite store: failing writes, the version 2 migration, purging rows on disk.</summary>
public sealed class SqliteLockoutTests : IDisposable
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    private readonly TemporaryDataFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task A_lockout_write_the_disk_refuses_throws_and_changes_nothing()
    {
        await using var store = await _file.OpenAsync();
        await ExecuteAsync("""
            CREATE TRIGGER refuse_insert BEFORE INSERT ON lockouts BEGIN SELECT RAISE(ABORT, 'disk full'); END;
            CREATE TRIGGER refuse_delete BEFORE DELETE ON lockouts BEGIN SELECT RAISE(ABORT, 'disk full'); END;
            """);

        await Assert.ThrowsAsync<ChatStoreException>(async () => await store.TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(1, null, Start)));

        Assert.Equal(LockoutState.Clear, await store.GetAsync("seas"));
    }

    [Fact]
    public async Task Purged_rows_leave_the_file()
    {
        await using (var store = await _file.OpenAsync())
        {
            for (var i = 0; i < 1000; i++)
            {
                await store.TryUpdateAsync("made-up" + i, LockoutState.Clear, new LockoutState(1, null, Start));
            }

            Assert.Equal(1000, await CountRowsAsync());
            Assert.Equal(1000, await store.PurgeAsync(Start, Start));
        }

        Assert.Equal(0, await CountRowsAsync());
    }

    [Fact]
    public async Task Lockouts_of_a_version_1_file_are_kept_and_go_at_the_first_purge()
    {
        await ExecuteAsync("""
            CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, id TEXT NOT NULL, kind INTEGER NOT NULL,
                sender TEXT NOT NULL, text TEXT NOT NULL, sent_at INTEGER NOT NULL);
            CREATE INDEX ix_messages_id ON messages (id);
            CREATE TABLE blocks (owner TEXT NOT NULL, target TEXT NOT NULL, PRIMARY KEY (owner, target));
            CREATE TABLE lockouts (user TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked_until INTEGER);
            INSERT INTO lockouts VALUES ('seas', 2, NULL);
            PRAGMA application_id = 1129467185;
            PRAGMA user_version = 1;
            """);

        await using var store = await _file.OpenAsync();

        Assert.Equal(new LockoutState(2, null), await store.GetAsync("seas"));
        Assert.Equal(1, await store.PurgeAsync(Start, Start));
        Assert.Equal(0, await CountRowsAsync());
    }

    private async Task<long> CountRowsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={_file.Path};Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM lockouts";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_file.Path};Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
