using System.Globalization;
using System.Threading.Channels;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using Microsoft.Data.Sqlite;

namespace ChatRoom.Storage;

/// <summary>
/// The server's durable store in one SQLite file: unacknowledged messages, block lists and lockouts. Reads come from an
/// in-memory copy loaded at open; every change is written first, in batches that share one transaction (group commit),
/// and only then applied to the copy and reported done, so what the server acknowledges survives a crash.
/// </summary>
/// <remarks>
/// <para>
/// Sequences (<see cref="StoredMessage.Sequence"/>) live in the in-memory copy, not in the file: at open, each
/// recipient's waiting messages are numbered 1, 2, 3, … in the order they were stored, and every append takes its
/// recipient's next number. They are therefore consecutive for consecutive appends and never reused while the store is
/// open, as <see cref="IOfflineStore"/> asks, but they are stable only while it is open: after a reopen the same message
/// may have another sequence. Nothing that holds a sequence (a session's read position) outlives the process.
/// </para>
/// <para>
/// Reads find their place in a recipient's sequence tree and acknowledgements look ids up in an index, in the copy as in
/// the file, so neither scans a queue. A batch that cannot be stored fails every write in it with
/// <see cref="ChatStoreException"/> and leaves the copy as it was; later writes are tried again in batches of their own.
/// </para>
/// </remarks>
public sealed class SqliteChatStore : IOfflineStore, IBlockListStore, ILockoutStore, IAsyncDisposable
{
    /// <summary>The schema version this build writes and migrates up to.</summary>
    public const int SchemaVersion = 2;

    // PRAGMA application_id marks the file as ours ("CRM1").
    private const int ApplicationId = 0x43524D31;
    private const int MaxBatch = 4096;
    private static readonly byte[] s_sqliteHeader = "SQLite format 3\0"u8.ToArray();

    private readonly string _path;
    private readonly SqliteConnection _connection;
    private readonly Channel<Write> _writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly InMemoryOfflineStore _messages = new();
    private readonly InMemoryBlockListStore _blocks = new();
    private readonly InMemoryLockoutStore _lockouts = new();
    private readonly SemaphoreSlim _lockoutGate = new(1, 1);
    private Task _writing = Task.CompletedTask;

    private SqliteChatStore(string path, SqliteConnection connection)
    {
        _path = path;
        _connection = connection;
    }

    /// <summary>Opens (creating if absent) the data file at <paramref name="path"/>, migrating its schema to <see cref="SchemaVersion"/>.</summary>
    /// <exception cref="ChatStoreException">The file is not a ChatRoom database, is corrupt, has a newer schema, or cannot be written. It is left untouched.</exception>
    public static async Task<SqliteChatStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        path = System.IO.Path.GetFullPath(path);
        CheckHeader(path);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        var store = new SqliteChatStore(path, connection);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            store.Migrate();
            await store.LoadAsync().ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new ChatStoreException(path, $"cannot be used as a ChatRoom database: {ex.Message}", ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        store._writing = Task.Run(store.WriteLoopAsync, CancellationToken.None);
        return store;
    }

    /// <inheritdoc />
    public async ValueTask<long> AppendAsync(string recipient, ChatMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        long sequence = 0;
        await Enqueue(
            command => Execute(command, "INSERT INTO messages (recipient, id, kind, sender, text, sent_at) VALUES ($a, $b, $c, $d, $e, $f)",
                recipient, message.Id.ToString(), (int)message.Kind, message.From, message.Text, message.SentAt.ToUnixTimeMilliseconds()),
            async () => sequence = await _messages.AppendAsync(recipient, message).ConfigureAwait(false)).ConfigureAwait(false);
        return sequence;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredMessage>> ReadAsync(string recipient, long afterSequence, int max, CancellationToken cancellationToken = default)
        => _messages.ReadAsync(recipient, afterSequence, max, cancellationToken);

    /// <inheritdoc />
    public async ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        await Enqueue(
            command =>
            {
                foreach (var id in ids)
                {
                    Execute(command, "DELETE FROM messages WHERE id = $a AND recipient = $b", id.ToString(), recipient);
                }
            },
            () => _messages.AcknowledgeAsync(recipient, ids)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> AddAsync(string owner, string target, CancellationToken cancellationToken = default)
    {
        if (await _blocks.ContainsAsync(owner, target, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var added = false;
        await Enqueue(
            command => Execute(command, "INSERT OR IGNORE INTO blocks (owner, target) VALUES ($a, $b)", owner, target),
            async () => added = await _blocks.AddAsync(owner, target).ConfigureAwait(false)).ConfigureAwait(false);
        return added;
    }

    /// <inheritdoc />
    public async ValueTask<bool> RemoveAsync(string owner, string target, CancellationToken cancellationToken = default)
    {
        if (!await _blocks.ContainsAsync(owner, target, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var removed = false;
        await Enqueue(
            command => Execute(command, "DELETE FROM blocks WHERE owner = $a AND target = $b", owner, target),
            async () => removed = await _blocks.RemoveAsync(owner, target).ConfigureAwait(false)).ConfigureAwait(false);
        return removed;
    }

    /// <inheritdoc />
    public ValueTask<bool> ContainsAsync(string owner, string target, CancellationToken cancellationToken = default)
        => _blocks.ContainsAsync(owner, target, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyCollection<string>> ListAsync(string owner, CancellationToken cancellationToken = default)
        => _blocks.ListAsync(owner, cancellationToken);

    /// <inheritdoc />
    public ValueTask<LockoutState> GetAsync(string user, CancellationToken cancellationToken = default)
        => _lockouts.GetAsync(user, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<bool> TryUpdateAsync(string user, LockoutState expected, LockoutState next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        await _lockoutGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await _lockouts.GetAsync(user, cancellationToken).ConfigureAwait(false) != expected)
            {
                return false;
            }

            await Enqueue(
                command =>
                {
                    if (next == LockoutState.Clear)
                    {
                        Execute(command, "DELETE FROM lockouts WHERE user = $a", user);
                    }
                    else
                    {
                        Execute(command, "INSERT OR REPLACE INTO lockouts (user, failures, locked_until, last_failure) VALUES ($a, $b, $c, $d)",
                            user, next.Failures, next.LockedUntil?.ToUnixTimeMilliseconds(), next.LastFailure?.ToUnixTimeMilliseconds());
                    }
                },
                async () => await _lockouts.TryUpdateAsync(user, expected, next).ConfigureAwait(false)).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _lockoutGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> PurgeAsync(DateTimeOffset failedBefore, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        // Under the gate, so no compare-and-swap runs between choosing the idle keys and removing them.
        await _lockoutGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var removed = 0;
            await Enqueue(
                command => Execute(command, "DELETE FROM lockouts WHERE (locked_until IS NULL OR locked_until <= $a) AND (last_failure IS NULL OR last_failure <= $b)",
                    now.ToUnixTimeMilliseconds(), failedBefore.ToUnixTimeMilliseconds()),
                async () => removed = await _lockouts.PurgeAsync(failedBefore, now).ConfigureAwait(false)).ConfigureAwait(false);
            return removed;
        }
        finally
        {
            _lockoutGate.Release();
        }
    }

    /// <summary>Writes what is queued, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _writing.ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _lockoutGate.Dispose();
    }

    private static void CheckHeader(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            return;
        }

        var header = new byte[s_sqliteHeader.Length];
        int read;
        try
        {
            using var file = File.OpenRead(path);
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

    private void Migrate()
    {
        var applicationId = Scalar("PRAGMA application_id");
        var version = Scalar("PRAGMA user_version");
        var tables = Scalar("SELECT count(*) FROM sqlite_master");
        if (applicationId != ApplicationId && !(applicationId == 0 && tables == 0))
        {
            throw new ChatStoreException(_path, "is an SQLite file of another application; it was left untouched");
        }

        if (version > SchemaVersion)
        {
            throw new ChatStoreException(_path, $"has schema version {version}, newer than this server's {SchemaVersion}; use a newer server");
        }

        // WAL with NORMAL sync survives a killed process; every commit is one fsync-free append to the log.
        Run("PRAGMA journal_mode = WAL");
        Run("PRAGMA synchronous = NORMAL");
        using var transaction = _connection.BeginTransaction();
        if (version < 1)
        {
            Run("""
                CREATE TABLE messages (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    recipient TEXT NOT NULL,
                    id TEXT NOT NULL,
                    kind INTEGER NOT NULL,
                    sender TEXT NOT NULL,
                    text TEXT NOT NULL,
                    sent_at INTEGER NOT NULL);
                CREATE INDEX ix_messages_id ON messages (id);
                CREATE TABLE blocks (owner TEXT NOT NULL, target TEXT NOT NULL, PRIMARY KEY (owner, target));
                CREATE TABLE lockouts (user TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked_until INTEGER);
                """, transaction);
        }

        if (version < 2)
        {
            // Lockouts are purged by the time of their last failure; rows from version 1 have none and go at the first purge.
            Run("ALTER TABLE lockouts ADD COLUMN last_failure INTEGER", transaction);
        }

        // Later versions add their steps here, each guarded by the version it upgrades from.
        Run($"PRAGMA application_id = {ApplicationId.ToString(CultureInfo.InvariantCulture)}", transaction);
        Run($"PRAGMA user_version = {SchemaVersion.ToString(CultureInfo.InvariantCulture)}", transaction);
        transaction.Commit();
    }

    private async Task LoadAsync()
    {
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT recipient, id, kind, sender, text, sent_at FROM messages ORDER BY seq";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (!MessageId.TryParse(reader.GetString(1), out var id))
                {
                    throw new ChatStoreException(_path, $"holds a malformed message id '{reader.GetString(1)}'; it was left untouched");
                }

                var recipient = reader.GetString(0);
                await _messages.AppendAsync(recipient, new ChatMessage(id, (MessageKind)reader.GetInt32(2), reader.GetString(3), recipient, reader.GetString(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)))).ConfigureAwait(false);
            }
        }

        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT owner, target FROM blocks";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                await _blocks.AddAsync(reader.GetString(0), reader.GetString(1)).ConfigureAwait(false);
            }
        }

        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT user, failures, locked_until, last_failure FROM lockouts";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                DateTimeOffset? until = reader.IsDBNull(2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2));
                DateTimeOffset? lastFailure = reader.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3));
                await _lockouts.TryUpdateAsync(reader.GetString(0), LockoutState.Clear, new LockoutState(reader.GetInt32(1), until, lastFailure)).ConfigureAwait(false);
            }
        }
    }

    private Task Enqueue(Action<PreparedCommands> write, Func<ValueTask> applied)
    {
        var pending = new Write(write, applied);
        ObjectDisposedException.ThrowIf(!_writes.Writer.TryWrite(pending), this);

        return pending.Done.Task;
    }

    private async Task WriteLoopAsync()
    {
        var reader = _writes.Reader;
        var batch = new List<Write>(MaxBatch);
        using var command = new PreparedCommands(_connection);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            try
            {
                using (var transaction = _connection.BeginTransaction())
                {
                    command.Transaction = transaction;
                    foreach (var write in batch)
                    {
                        write.Apply(command);
                    }

                    transaction.Commit();
                }

                // Applied to the in-memory copy in commit order, so reads see what the file holds and each recipient's
                // sequences follow the order of the file, which is the order they are numbered in at the next open.
                foreach (var write in batch)
                {
                    await write.Applied().ConfigureAwait(false);
                    write.Done.TrySetResult();
                }
            }
#pragma warning disable CA1031 // The writer loop must outlive any failure, or every later write would wait forever.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // Disk full, read-only, I/O error: nothing in the batch was stored, and every caller is told so.
                var failure = new ChatStoreException(_path, $"could not store: {ex.Message}", ex);
                foreach (var write in batch)
                {
                    write.Done.TrySetException(failure);
                }
            }
        }
    }

    private static void Execute(PreparedCommands commands, string sql, params object?[] values)
    {
        var command = commands.For(sql, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
    }

    /// <summary>One prepared statement per SQL text, reused for every write of the writer loop.</summary>
    private sealed class PreparedCommands(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

        public SqliteTransaction? Transaction { get; set; }

        public SqliteCommand For(string sql, int parameters)
        {
            if (!_commands.TryGetValue(sql, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = sql;
                for (var i = 0; i < parameters; i++)
                {
                    command.Parameters.Add(new SqliteParameter("$" + (char)('a' + i), null));
                }

                _commands[sql] = command;
            }

            command.Transaction = Transaction;
            return command;
        }

        public void Dispose()
        {
            foreach (var command in _commands.Values)
            {
                command.Dispose();
            }
        }
    }

    private long Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private void Run(string sql, SqliteTransaction? transaction = null)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed class Write(Action<PreparedCommands> apply, Func<ValueTask> applied)
    {
        public Action<PreparedCommands> Apply { get; } = apply;

        public Func<ValueTask> Applied { get; } = applied;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
