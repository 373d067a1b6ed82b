using System.Diagnostics.Metrics;
using System.Globalization;
using System.Threading.Channels;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using Microsoft.Data.Sqlite;

namespace ChatRoom.Storage;

/// <summary>
/// The server's durable store in one SQLite file: unacknowledged messages, block lists and lockouts. Every change is
/// written first, in batches that share one transaction (group commit), and only then reported done, so what the server
/// acknowledges survives a crash. Messages are read page by page from the file; block lists and lockouts are small and
/// kept in an in-memory copy as well.
/// </summary>
/// <remarks>
/// <para>
/// Only one store may have a file open: <see cref="OpenAsync"/> takes an exclusive lock on a file beside it
/// (<c>&lt;data&gt;.lock</c>), which the operating system releases when the process ends, however it ends.
/// </para>
/// <para>
/// A batch that cannot be stored fails every write in it with <see cref="ChatStoreException"/> and changes nothing;
/// later writes are tried again in batches of their own.
/// </para>
/// </remarks>
public sealed partial class SqliteChatStore : IOfflineStore, IBlockListStore, ILockoutStore, IAsyncDisposable
{
    /// <summary>The schema version this build writes and migrates up to.</summary>
    public const int SchemaVersion = 3;

    // PRAGMA application_id marks the file as ours ("CRM1").
    private const int ApplicationId = 0x43524D31;
    private const int MaxBatch = 4096;

    // Writes waiting for the writer loop; a writer beyond it waits for room, so the buffer stays bounded.
    private const int MaxPendingWrites = 16_384;

    private readonly string _path;
    private readonly SqliteConnection _connection;
    private readonly Channel<Write> _writes = Channel.CreateBounded<Write>(new BoundedChannelOptions(MaxPendingWrites) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly InMemoryBlockListStore _blocks = new();
    private readonly InMemoryLockoutStore _lockouts = new();
    private readonly SemaphoreSlim _lockoutGate = new(1, 1);
    private readonly FileStream _fileLock;
    private readonly Channel<Completion> _completions = Channel.CreateUnbounded<Completion>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SqliteStoreMetrics _metrics;
    private Task _writing = Task.CompletedTask;
    private Task _completing = Task.CompletedTask;

    private SqliteChatStore(string path, SqliteConnection connection, FileStream fileLock, IMeterFactory? meterFactory)
    {
        _path = path;
        _connection = connection;
        _fileLock = fileLock;
        _metrics = new SqliteStoreMetrics(meterFactory, () => _writes.Reader.Count);
    }

    /// <summary>
    /// Opens (creating if absent) the data file at <paramref name="path"/>, migrating its schema to <see cref="SchemaVersion"/>,
    /// with its instruments (meter <c>ChatRoom.Storage</c>: commit latency and batch size, failed writes, queued writes) on a
    /// meter from <paramref name="meterFactory"/> (the host's, when there is one); when that is null, on a meter of the
    /// store's own, disposed with it.
    /// </summary>
    /// <exception cref="ChatStoreException">
    /// The file is not a ChatRoom database, is corrupt, holds a value of the wrong type (or none) where one is required,
    /// has a newer schema, or cannot be written: it is left untouched. Or another store has it open
    /// (<see cref="ChatStoreException.InUse"/>).
    /// </exception>
    public static async Task<SqliteChatStore> OpenAsync(string path, IMeterFactory? meterFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        path = System.IO.Path.GetFullPath(path);
        var fileLock = Lock(path);
        SqliteConnection? connection = null;
        SqliteChatStore? store = null;
        try
        {
            CheckHeader(path, fileLock);
            connection = new SqliteConnection(ConnectionString(path));
            store = new SqliteChatStore(path, connection, fileLock, meterFactory);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            store.Migrate();
            await store.LoadAsync().ConfigureAwait(false);
            store._writing = Task.Run(store.WriteLoopAsync, CancellationToken.None);
            store._completing = Task.Run(store.CompleteLoopAsync, CancellationToken.None);
            return store;
        }
        catch (SqliteException ex)
        {
            store?._metrics.Dispose();
            await CloseAsync(connection, fileLock, path).ConfigureAwait(false);
            throw new ChatStoreException(path, $"cannot be used as a ChatRoom database: {ex.Message}", ex);
        }
        catch
        {
            store?._metrics.Dispose();
            await CloseAsync(connection, fileLock, path).ConfigureAwait(false);
            throw;
        }
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

    /// <summary>Writes what is queued, then closes the file and releases its lock.</summary>
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _writing.ConfigureAwait(false);
        await _completing.ConfigureAwait(false);
        CloseReaders();
        await CloseAsync(_connection, _fileLock, _path).ConfigureAwait(false);
        _lockoutGate.Dispose();
        _metrics.Dispose();
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

        // Checked before anything is written, so a file refused here is left as it was.
        Validate(version);

        // WAL with NORMAL sync survives a killed process; every commit is one fsync-free append to the log.
        Run("PRAGMA journal_mode = WAL");
        Run("PRAGMA synchronous = NORMAL");

        // Each commit dirties pages of two indexes spread over the file (by id, and by recipient for paging), so the
        // default checkpoint every 1,000 pages (4 MiB) ran, and synced, every few batches and halved append throughput.
        // Checkpointing every 32 MiB of log keeps the writer fast; the log is cut back to that size after each one.
        Run("PRAGMA wal_autocheckpoint = 8192");
        Run("PRAGMA journal_size_limit = 33554432");
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
            // Each recipient's own sequence, kept in the file so that reads page by it and it survives a reopen.
            Run("""
                ALTER TABLE messages ADD COLUMN rseq INTEGER NOT NULL DEFAULT 0;
                UPDATE messages SET rseq = numbered.n
                    FROM (SELECT seq, row_number() OVER (PARTITION BY recipient ORDER BY seq) AS n FROM messages) AS numbered
                    WHERE messages.seq = numbered.seq;
                CREATE UNIQUE INDEX ix_messages_recipient ON messages (recipient, rseq);
                """, transaction);
        }

        if (version < 3)
        {
            // Lockouts are purged by the time of their last failure; rows from before version 3 have none and go at the first purge.
            Run("ALTER TABLE lockouts ADD COLUMN last_failure INTEGER", transaction);
        }

        // Later versions add their steps here, each guarded by the version it upgrades from.
        Run($"PRAGMA application_id = {ApplicationId.ToString(CultureInfo.InvariantCulture)}", transaction);
        Run($"PRAGMA user_version = {SchemaVersion.ToString(CultureInfo.InvariantCulture)}", transaction);
        transaction.Commit();
    }

    private async Task LoadAsync()
    {
        LoadMailboxes();
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

    private Task Enqueue(Action<PreparedCommands> write, Func<ValueTask> applied, bool completeInline = false)
    {
        var pending = new Write(write, applied, completeInline);
        return _writes.Writer.TryWrite(pending) ? pending.Done.Task : WaitForRoomAsync(pending);
    }

    private async Task WaitForRoomAsync(Write pending)
    {
        try
        {
            await _writes.Writer.WriteAsync(pending).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(SqliteChatStore));
        }

        await pending.Done.Task.ConfigureAwait(false);
    }

    // Two stages: the writer commits a batch, then hands it to the completion loop and starts on the next one while the
    // callers of the last one are told. Completions run one batch at a time, in append order, so a recipient hears of
    // its messages in sequence order and takes them live instead of reading them back from the file.
    private async Task WriteLoopAsync()
    {
        var reader = _writes.Reader;
        using var command = new PreparedCommands(_connection);
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var batch = new List<Write>(Math.Min(reader.CanCount ? reader.Count : 16, MaxBatch));
                while (batch.Count < MaxBatch && reader.TryRead(out var write))
                {
                    batch.Add(write);
                }

                var started = _metrics.Start();
                try
                {
                    _mailboxes.BeginBatch();
                    using (var transaction = _connection.BeginTransaction())
                    {
                        command.Transaction = transaction;
                        foreach (var write in batch)
                        {
                            write.Apply(command);
                        }

                        transaction.Commit();
                    }

                    _mailboxes.CommitBatch();
                    _metrics.Committed(batch.Count, started);

                    // Applied to the in-memory copies in commit order, so reads see what the file holds.
                    foreach (var write in batch)
                    {
                        await write.Applied().ConfigureAwait(false);
                    }

                    _completions.Writer.TryWrite(new Completion(batch, null));
                }
#pragma warning disable CA1031 // The writer loop must outlive any failure, or every later write would wait forever.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    // Disk full, read-only, I/O error: nothing in the batch was stored (nor counted, nor numbered), and
                    // every caller is told so.
                    _mailboxes.RollbackBatch();
                    _metrics.Failed(batch.Count);
                    _completions.Writer.TryWrite(new Completion(batch, ex));
                }
            }
        }
        finally
        {
            _completions.Writer.TryComplete();
        }
    }

    private async Task CompleteLoopAsync()
    {
        var reader = _completions.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var completion))
            {
                foreach (var write in completion.Batch)
                {
                    if (completion.Failure is { } failure)
                    {
                        // An exception of its own for each caller: one object rethrown by every awaiter of a batch
                        // would collect every rethrow's stack trace (a 1,000-write batch logged 48 MB on a full disk).
                        write.Done.TrySetException(new ChatStoreException(_path, $"could not store: {failure.Message}", failure));
                    }
                    else
                    {
                        write.Done.TrySetResult();
                    }
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
        private MessageInsert? _insert;

        public SqliteTransaction? Transaction { get; set; }

        /// <summary>The message insert, the one statement run once per message.</summary>
        public MessageInsert Insert => _insert ??= new MessageInsert(connection);

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
            _insert?.Dispose();
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

    // A message append's caller continues on the completion loop (completeInline): what it does next (hand the message
    // to its recipient, queue the sender's reply) is short and must happen in append order. Every other caller
    // continues on the thread pool, since what follows (a login, say) may be long.
    private sealed class Write(Action<PreparedCommands> apply, Func<ValueTask> applied, bool completeInline)
    {
        public Action<PreparedCommands> Apply { get; } = apply;

        public Func<ValueTask> Applied { get; } = applied;

        public TaskCompletionSource Done { get; } = new(completeInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly record struct Completion(List<Write> Batch, Exception? Failure);
}
