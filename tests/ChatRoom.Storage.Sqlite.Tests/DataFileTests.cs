using ChatRoom.Offline;
using Microsoft.Data.Sqlite;

namespace ChatRoom.Storage.Sqlite.Tests;

/// <summary>What the store does with the file itself: hand-edited rows, a second opener, an older schema.</summary>
public sealed class DataFileTests : IDisposable
{
    private readonly TemporaryDataFile _file = new();

    private string DataPath => _file.Path;

    public void Dispose() => _file.Dispose();

    [Theory]
    [InlineData("messages", "sent_at", "NULL", "column sent_at holds no value (NULL)")]
    [InlineData("messages", "sent_at", "'yesterday'", "column sent_at holds a text where it must hold an integer")]
    [InlineData("messages", "recipient", "NULL", "column recipient holds no value (NULL)")]
    [InlineData("messages", "text", "x'00ff'", "column text holds a blob")]
    [InlineData("messages", "id", "'not-an-id'", "malformed message id 'not-an-id'")]
    [InlineData("messages", "kind", "99", "holds kind 99")]
    [InlineData("messages", "rseq", "9223372036854775807", "holds a sequence out of range")]
    [InlineData("messages", "text", "'a' || char(10) || 'ok login hacked'", "holds a control character in its text or names")]
    [InlineData("messages", "sender", "'a' || char(13) || 'b'", "holds a control character in its text or names")]
    [InlineData("messages", "id", "(SELECT min(id) FROM messages)", "holds a message id that another row holds too")]
    [InlineData("lockouts", "locked_until", "9223372036854775807", "holds a failure count or time out of range")]
    [InlineData("lockouts", "failures", "-1000000", "holds a failure count or time out of range")]
    [InlineData("messages", "sent_at", "9223372036854775807", "time 9223372036854775807, one of them out of range")]
    [InlineData("blocks", "target", "NULL", "column target holds no value (NULL)")]
    [InlineData("lockouts", "failures", "NULL", "column failures holds no value (NULL)")]
    [InlineData("lockouts", "last_failure", "'yesterday'", "column last_failure holds a text where it must hold an integer")]
    public async Task A_hand_edited_row_with_a_missing_or_wrongly_typed_value_is_refused_by_table_and_row_and_left_untouched(
        string table, string column, string value, string expected)
    {
        await using (var store = await _file.OpenAsync())
        {
            await store.AppendAsync("seas", Messages.To("seas", "kept"));
            await store.AppendAsync("seas", Messages.To("seas", "edited"));
            await store.AddAsync("seas", "foobar");
            await store.TryUpdateAsync("seas", Auth.LockoutState.Clear, new Auth.LockoutState(1, null));
        }

        // As a hand edit would: the same table without its NOT NULL rules, then the bad value in its second row (or only one).
        await ExecuteAsync(HandEditable(table));
        await ExecuteAsync($"UPDATE {table} SET {column} = {value} WHERE rowid = (SELECT max(rowid) FROM {table})");
        var row = await ScalarAsync($"SELECT max(rowid) FROM {table}");
        var before = await File.ReadAllBytesAsync(DataPath);

        var ex = await Assert.ThrowsAsync<ChatStoreException>(() => SqliteChatStore.OpenAsync(DataPath));

        Assert.Contains($"table {table}, row {row}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("left untouched", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(DataPath));
    }

    [Fact]
    public async Task A_second_store_cannot_open_a_file_that_is_open_and_can_once_it_is_closed()
    {
        var first = await _file.OpenAsync();
        await first.AppendAsync("seas", Messages.To("seas", "one"));

        var ex = await Assert.ThrowsAsync<ChatStoreException>(() => SqliteChatStore.OpenAsync(DataPath));

        Assert.True(ex.InUse);
        Assert.Contains("in use by another ChatRoom server", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["one"], (await first.MessagesAsync("seas")).Select(m => m.Text)); // the first is unharmed
        await first.DisposeAsync();
        await using var second = await _file.OpenAsync();
        Assert.Equal(["one"], (await second.MessagesAsync("seas")).Select(m => m.Text));
    }

    [Theory]
    [InlineData("symbolic")]
    [InlineData("hard")]
    public async Task A_second_store_cannot_open_the_file_through_a_link_either(string kind)
    {
        await using var first = await _file.OpenAsync();
        var link = DataPath + "." + kind + "-link";
        if (kind == "symbolic")
        {
            File.CreateSymbolicLink(link, DataPath);
        }
        else
        {
            using var ln = System.Diagnostics.Process.Start("ln", [DataPath, link])!;
            await ln.WaitForExitAsync();
            Assert.Equal(0, ln.ExitCode);
        }

        try
        {
            var ex = await Assert.ThrowsAsync<ChatStoreException>(() => SqliteChatStore.OpenAsync(link));
            Assert.True(ex.InUse);
        }
        finally
        {
            File.Delete(link);
        }
    }

    [Fact]
    public async Task A_file_of_schema_version_1_is_migrated_with_each_recipients_sequences_in_stored_order()
    {
        await ExecuteAsync("""
            CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, id TEXT NOT NULL, kind INTEGER NOT NULL,
                sender TEXT NOT NULL, text TEXT NOT NULL, sent_at INTEGER NOT NULL);
            CREATE INDEX ix_messages_id ON messages (id);
            CREATE TABLE blocks (owner TEXT NOT NULL, target TEXT NOT NULL, PRIMARY KEY (owner, target));
            CREATE TABLE lockouts (user TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked_until INTEGER);
            PRAGMA application_id = 1129467185;
            PRAGMA user_version = 1;
            """);
        var a = Messages.To("seas", "one");
        var other = Messages.To("foobar", "other");
        var b = Messages.To("seas", "two");
        foreach (var m in new[] { a, other, b })
        {
            await ExecuteAsync($"INSERT INTO messages (recipient, id, kind, sender, text, sent_at) VALUES ('{m.To}', '{m.Id}', 0, 'columbia', '{m.Text}', {m.SentAt.ToUnixTimeMilliseconds()})");
        }

        await using var store = await _file.OpenAsync();

        Assert.Equal([(1L, a), (2L, b)], (await store.ReadAllAsync("seas")).Select(s => (s.Sequence, s.Message)));
        Assert.Equal([(1L, other)], (await store.ReadAllAsync("foobar")).Select(s => (s.Sequence, s.Message)));
        Assert.Equal(3, await store.AppendAsync("seas", Messages.To("seas", "three")));
        Assert.Equal(SqliteChatStore.SchemaVersion, await ScalarAsync("PRAGMA user_version"));
    }

    private static string HandEditable(string table) => table switch
    {
        "messages" => """
            CREATE TABLE edited (seq INTEGER PRIMARY KEY AUTOINCREMENT, recipient, id, kind, sender, text, sent_at, rseq);
            INSERT INTO edited SELECT seq, recipient, id, kind, sender, text, sent_at, rseq FROM messages;
            DROP TABLE messages; ALTER TABLE edited RENAME TO messages;
            CREATE INDEX ix_messages_id ON messages (id); CREATE UNIQUE INDEX ix_messages_recipient ON messages (recipient, rseq);
            """,
        "blocks" => """
            CREATE TABLE edited (owner, target); INSERT INTO edited SELECT owner, target FROM blocks;
            DROP TABLE blocks; ALTER TABLE edited RENAME TO blocks;
            """,
        _ => """
            CREATE TABLE edited (user TEXT PRIMARY KEY, failures, locked_until, last_failure); INSERT INTO edited SELECT user, failures, locked_until, last_failure FROM lockouts;
            DROP TABLE lockouts; ALTER TABLE edited RENAME TO lockouts;
            """,
    };

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DataPath};Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DataPath};Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
