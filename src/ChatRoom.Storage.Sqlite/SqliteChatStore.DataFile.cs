using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace ChatRoom.Storage;

/// <summary>The data file itself: its lock, its header, and the check of every row before the store uses it.</summary>
public sealed partial class SqliteChatStore
{
    private static readonly byte[] s_sqliteHeader = "SQLite format 3\0"u8.ToArray();

    /// <summary>What each table's columns must hold, by schema version; a row that breaks it is refused by name at open.</summary>
    private static readonly (string Table, Column[] Columns)[] s_layout =
    [
        ("messages",
        [
            new("recipient", "text"), new("id", "text"), new("kind", "integer"), new("sender", "text"), new("text", "text"),
            new("sent_at", "integer"), new("rseq", "integer", FromVersion: 2),
        ]),
        ("blocks", [new("owner", "text"), new("target", "text")]),
        ("lockouts", [new("user", "text"), new("failures", "integer"), new("locked_until", "integer", Nullable: true),
            new("last_failure", "integer", Nullable: true, FromVersion: 3)]),
    ];

    private static string ConnectionString(string path, SqliteOpenMode mode = SqliteOpenMode.ReadWriteCreate) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        Pooling = false,
    }.ToString();

    /// <summary>
    /// Takes the data file's lock: an exclusive OS lock on the data file itself, held open for the store's lifetime.
    /// Being on the file (not on a name beside it), it holds for every path that reaches the file: a symbolic or hard
    /// link, another spelling. SQLite's own locks are of another kind, so they do not meet it. The operating system drops
    /// it when the process ends, even when it is killed, so a stale lock never blocks a start.
    /// </summary>
    private static FileStream Lock(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (ex.GetType() == typeof(IOException))
        {
            throw new ChatStoreException(path, "is in use by another ChatRoom server (it holds the file's lock); stop that server or use another data file", ex)
            {
                InUse = true,
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ChatStoreException(path, $"cannot be locked: {ex.Message}", ex);
        }
    }

    private static async ValueTask CloseAsync(SqliteConnection? connection, FileStream fileLock, string path)
    {
        _ = path;
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        await fileLock.DisposeAsync().ConfigureAwait(false);
    }

    private static void CheckHeader(string path, FileStream file)
    {
        if (file.Length == 0)
        {
            return;
        }

        var header = new byte[s_sqliteHeader.Length];
        int read;
        try
        {
            // Through the lock's own handle: another handle of this process would meet the lock.
            file.Position = 0;
            read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ChatStoreException(path, $"cannot be read: {ex.Message}", ex);
        }

        if (read < header.Length || !header.AsSpan().SequenceEqual(s_sqliteHeader))
        {
            throw new ChatStoreException(path, "is not a ChatRoom database (not an SQLite file); it was left untouched");
        }
    }

    /// <summary>
    /// Refuses a file (of schema <paramref name="version"/>) with a value of the wrong type, or none, where one is
    /// required, or a malformed message id, naming the table, row and column: a hand-edited file is told apart from a
    /// bug, and nothing later reads a value it cannot use. Only reads, so the refused file is left as it was.
    /// </summary>
    private void Validate(long version)
    {
        if (version < 1)
        {
            return;
        }

        foreach (var (table, columns) in s_layout)
        {
            var present = columns.Where(c => c.FromVersion <= version).ToArray();
            var sql = new StringBuilder("SELECT rowid");
            foreach (var column in present)
            {
                sql.Append(CultureInfo.InvariantCulture, $", typeof({column.Name})");
            }

            sql.Append(CultureInfo.InvariantCulture, $" FROM {table} WHERE NOT (")
                .AppendJoin(" AND ", present.Select(c => c.Nullable
                    ? $"typeof({c.Name}) IN ('{c.Type}', 'null')"
                    : $"typeof({c.Name}) = '{c.Type}'"))
                .Append(") LIMIT 1");
            using var command = _connection.CreateCommand();
            command.CommandText = sql.ToString();
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                continue;
            }

            for (var i = 0; i < present.Length; i++)
            {
                var actual = reader.GetString(i + 1);
                if (actual != present[i].Type && !(present[i].Nullable && actual == "null"))
                {
                    throw new ChatStoreException(_path,
                        $"table {table}, row {reader.GetInt64(0)}: column {present[i].Name} holds {(actual == "null" ? "no value (NULL)" : "a " + actual)} where it must hold {(present[i].Type == "integer" ? "an" : "a")} {present[i].Type}; the file was left untouched");
                }
            }
        }

        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT rowid, id FROM messages WHERE length(id) <> 32 OR id GLOB '*[^0-9a-fA-F]*' LIMIT 1";
            using var reader = command.ExecuteReader();
            if (reader.Read())
            {
                throw new ChatStoreException(_path, $"table messages, row {reader.GetInt64(0)}: holds a malformed message id '{reader.GetString(1)}'; the file was left untouched");
            }
        }

        // Integers of the right type can still be out of range: a kind no message has, or a time no clock can show.
        using (var command = _connection.CreateCommand())
        {
            var kinds = string.Join(", ", Enum.GetValues<Messaging.MessageKind>().Select(k => ((int)k).ToString(CultureInfo.InvariantCulture)));
            command.CommandText = $"SELECT rowid, kind, sent_at FROM messages WHERE kind NOT IN ({kinds}) OR sent_at < $min OR sent_at > $max LIMIT 1";
            command.Parameters.AddWithValue("$min", DateTimeOffset.MinValue.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$max", DateTimeOffset.MaxValue.ToUnixTimeMilliseconds());
            using var reader = command.ExecuteReader();
            if (reader.Read())
            {
                throw new ChatStoreException(_path, $"table messages, row {reader.GetInt64(0)}: holds kind {reader.GetInt64(1)} and time {reader.GetInt64(2)}, one of them out of range; the file was left untouched");
            }
        }

        // What the server would otherwise trust: sequences it counts up from, times it converts, counts it compares,
        // text it writes onto the wire as one line, and ids that acknowledgements name.
        var controls = string.Join(" OR ", Enumerable.Range(0, 32).Where(c => c != '\t').Select(c => $"instr(text, char({c})) > 0"));
        var nameControls = string.Join(" OR ", Enumerable.Range(0, 33).SelectMany(c => new[] { $"instr(sender, char({c})) > 0", $"instr(recipient, char({c})) > 0" }));
        var min = DateTimeOffset.MinValue.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var max = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        (string Sql, string Problem)[] checks =
        [
            ($"SELECT rowid FROM messages WHERE seq < 1 OR seq > {MaxSequence}{(version >= 2 ? $" OR rseq < 0 OR rseq > {MaxSequence}" : "")} LIMIT 1", "holds a sequence out of range"),
            ($"SELECT rowid FROM messages WHERE {controls} OR {nameControls} LIMIT 1", "holds a control character in its text or names"),
            ("SELECT max(rowid) FROM messages GROUP BY id HAVING count(*) > 1 LIMIT 1", "holds a message id that another row holds too"),
            ($"SELECT rowid FROM lockouts WHERE failures < 0 OR locked_until < {min} OR locked_until > {max}{(version >= 3 ? $" OR last_failure < {min} OR last_failure > {max}" : "")} LIMIT 1", "holds a failure count or time out of range"),
        ];
        foreach (var (sql, problem) in checks)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = sql;
            if (command.ExecuteScalar() is long row)
            {
                var table = sql.Contains("FROM lockouts", StringComparison.Ordinal) ? "lockouts" : "messages";
                throw new ChatStoreException(_path, $"table {table}, row {row}: {problem}; the file was left untouched");
            }
        }
    }

    // Far below where a counter could wrap, far above what any server reaches.
    private const long MaxSequence = 1L << 62;

    private sealed record Column(string Name, string Type, bool Nullable = false, int FromVersion = 1);
}
