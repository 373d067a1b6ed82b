using System.Collections.Concurrent;
using System.Text;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ChatRoom.Storage;

/// <summary>
/// The message part of the store. Messages live only in the file: reads page from it by recipient and sequence, so
/// the store's memory does not grow with what it keeps. What stays in memory is one small record per recipient (last
/// sequence, how many messages and bytes are kept), which the writer loop alone reads and changes: numbering, the check
/// against <see cref="MailboxLimits"/> and the insert are therefore one step, in file order.
/// </summary>
/// <remarks>
/// Sequences are stored with the messages (<c>rseq</c>): 1, 2, 3, … per recipient in append order, strictly increasing
/// and never reused while the store is open. A write that fails takes no number. Reads see what is committed, as a
/// message's append completes only after its commit.
/// </remarks>
public sealed partial class SqliteChatStore
{
    private const string InsertMessage = "INSERT INTO messages (recipient, id, kind, sender, text, sent_at, rseq) VALUES ($a, $b, $c, $d, $e, $f, $g)";
    // One statement per acknowledgement line, whatever its length: the ids travel as one JSON array. "+recipient" keeps
    // SQLite on the id index, which it would otherwise trade for the (recipient, rseq) one: that walks the whole box for
    // every id (a 100,000-message box drained at a few hundred messages a second). By id it is one index step each.
    private const string DeleteMessages = "DELETE FROM messages WHERE id IN (SELECT value FROM json_each($a)) AND +recipient = $b RETURNING length(CAST(text AS BLOB))";
    private const string ReadPage = "SELECT rseq, id, kind, sender, text, sent_at FROM messages WHERE recipient = $a AND rseq > $b ORDER BY rseq LIMIT $c";

    // Read connections kept open between reads; more readers at once open more, and close them when done.
    private const int MaxIdleReaders = 4;

    private static readonly Func<ValueTask> s_nothingToApply = static () => ValueTask.CompletedTask;

    private readonly Mailboxes _mailboxes = new();
    private readonly ConcurrentBag<PageReader> _readers = [];
    private readonly SemaphoreSlim _readGate = new(MaxIdleReaders);
    private volatile bool _readersClosed;

    /// <inheritdoc />
    public async ValueTask<long?> TryAppendAsync(string recipient, ChatMessage message, MailboxLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(message);
        var size = Encoding.UTF8.GetByteCount(message.Text);
        long? sequence = null;
        await Enqueue(
            commands =>
            {
                var box = _mailboxes.ForBatch(recipient);
                if (!limits.Admits(box.Count, box.Bytes, size))
                {
                    sequence = null;
                    return;
                }

                var next = box.Last + 1;
                commands.Insert.Run(recipient, message, next);
                box.Last = next;
                box.Count++;
                box.Bytes += size;
                sequence = next;
            },
            s_nothingToApply,
            completeInline: true).ConfigureAwait(false);
        return sequence;
    }

    /// <summary>Stores <paramref name="message"/> with no limit on its recipient's box; returns its sequence.</summary>
    /// <exception cref="ChatStoreException">The message could not be stored.</exception>
    public async ValueTask<long> AppendAsync(string recipient, ChatMessage message, CancellationToken cancellationToken = default)
        => await TryAppendAsync(recipient, message, MailboxLimits.None, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("A message with no limits was refused.");

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredMessage>> ReadAsync(string recipient, long afterSequence, int max, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ObjectDisposedException.ThrowIf(_readersClosed, this);
        return ReadPageAsync(recipient, afterSequence, max, cancellationToken);
    }

    private async ValueTask<IReadOnlyList<StoredMessage>> ReadPageAsync(string recipient, long afterSequence, int max, CancellationToken cancellationToken)
    {
        // At most MaxIdleReaders reads at once, each on a pooled connection: a burst of logins (each reads its first page)
        // waits its turn for a few microseconds instead of opening, and closing, a connection apiece.
        await _readGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        PageReader? reader = null;
        try
        {
            if (!_readers.TryTake(out reader))
            {
                reader = new PageReader(_path);
            }

            return reader.Read(recipient, afterSequence, max);
        }
        catch (SqliteException ex)
        {
            reader?.Dispose();
            reader = null;
            throw new ChatStoreException(_path, $"could not read: {ex.Message}", ex);
        }
        finally
        {
            if (reader is not null)
            {
                Return(reader);
            }

            _readGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        var json = IdArray(ids);
        await Enqueue(
            commands =>
            {
                var command = commands.For(DeleteMessages, 2);
                command.Parameters[0].Value = json;
                command.Parameters[1].Value = recipient;
                using var deleted = command.ExecuteReader();
                Mailbox? box = null;
                while (deleted.Read())
                {
                    box ??= _mailboxes.ForBatch(recipient);
                    box.Count--;
                    box.Bytes -= deleted.GetInt64(0);
                }
            },
            s_nothingToApply).ConfigureAwait(false);
    }

    // ["id","id",...]: an id is 32 hexadecimal digits, as stored, so nothing needs escaping.
    private static string IdArray(IReadOnlyCollection<MessageId> ids)
    {
        var text = new StringBuilder(2 + (ids.Count * (MessageId.TextLength + 3)));
        Span<char> digits = stackalloc char[MessageId.TextLength];
        text.Append('[');
        foreach (var id in ids)
        {
            id.TryFormat(digits, out var written);
            text.Append(text.Length == 1 ? "\"" : ",\"").Append(digits[..written]).Append('"');
        }

        return text.Append(']').ToString();
    }

    /// <summary>Reads each recipient's last sequence and the size of their box; the messages themselves stay in the file.</summary>
    private void LoadMailboxes()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT recipient, max(rseq), count(*), total(length(CAST(text AS BLOB))) FROM messages GROUP BY recipient";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            _mailboxes.Load(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), (long)reader.GetDouble(3));
        }
    }

    private void Return(PageReader reader)
    {
        if (_readersClosed || _readers.Count >= MaxIdleReaders)
        {
            reader.Dispose();
            return;
        }

        _readers.Add(reader);
        if (_readersClosed)
        {
            CloseReaders(); // closed while this read ran: take back what was just returned
        }
    }

    private void CloseReaders()
    {
        _readersClosed = true;
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }
    }

    /// <summary>One recipient's box as the writer loop sees it.</summary>
    private sealed class Mailbox
    {
        public long Last { get; set; }

        public long Count { get; set; }

        public long Bytes { get; set; }
    }

    /// <summary>
    /// Every recipient's box, owned by the writer loop. A batch works on copies of the boxes it touches, kept only when
    /// the batch commits, so a batch that fails leaves numbers and sizes as they were.
    /// </summary>
    private sealed class Mailboxes
    {
        private readonly Dictionary<string, Mailbox> _committed = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Mailbox> _batch = new(StringComparer.Ordinal);

        public void Load(string recipient, long last, long count, long bytes)
            => _committed[recipient] = new Mailbox { Last = last, Count = count, Bytes = bytes };

        public void BeginBatch() => _batch.Clear();

        public Mailbox ForBatch(string recipient)
        {
            if (!_batch.TryGetValue(recipient, out var box))
            {
                box = _committed.TryGetValue(recipient, out var committed)
                    ? new Mailbox { Last = committed.Last, Count = committed.Count, Bytes = committed.Bytes }
                    : new Mailbox();
                _batch[recipient] = box;
            }

            return box;
        }

        public void CommitBatch()
        {
            foreach (var (recipient, box) in _batch)
            {
                _committed[recipient] = box;
            }

            _batch.Clear();
        }

        public void RollbackBatch() => _batch.Clear();
    }

    /// <summary>A read-only connection with its prepared page query; used by one read at a time.</summary>
    private sealed class PageReader : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _page;

        public PageReader(string path)
        {
            _connection = new SqliteConnection(ConnectionString(path, SqliteOpenMode.ReadWrite));
            _connection.Open();
            using (var pragma = _connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA query_only = 1";
                pragma.ExecuteNonQuery();
            }

            _page = _connection.CreateCommand();
            _page.CommandText = ReadPage;
            _page.Parameters.Add(new SqliteParameter("$a", null));
            _page.Parameters.Add(new SqliteParameter("$b", null));
            _page.Parameters.Add(new SqliteParameter("$c", null));
        }

        public List<StoredMessage> Read(string recipient, long afterSequence, int max)
        {
            _page.Parameters[0].Value = recipient;
            _page.Parameters[1].Value = afterSequence;
            _page.Parameters[2].Value = max;
            var page = new List<StoredMessage>(Math.Min(max, 64));
            using var reader = _page.ExecuteReader();
            while (reader.Read())
            {
                // Ids were checked at open and every later row was written by this store, so a bad one is a broken invariant.
                if (!MessageId.TryParse(reader.GetString(1), out var id))
                {
                    throw new InvalidDataException($"messages row {reader.GetInt64(0)} of {recipient} has a malformed id");
                }

                page.Add(new StoredMessage(reader.GetInt64(0), new ChatMessage(id, (MessageKind)reader.GetInt32(2), reader.GetString(3), recipient,
                    reader.GetString(4), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)))));
            }

            return page;
        }

        public void Dispose()
        {
            _page.Dispose();
            _connection.Dispose();
        }
    }

    /// <summary>
    /// The message insert, prepared once and bound through SQLite's own interface: text goes in as the UTF-16 the strings
    /// already hold and numbers as numbers, so a message costs no parameter objects, boxes or encoded copies. It runs on
    /// the writer loop's connection, inside its transaction.
    /// </summary>
    private sealed class MessageInsert : IDisposable
    {
        private readonly sqlite3 _database;
        private readonly sqlite3_stmt _statement;

        public MessageInsert(SqliteConnection connection)
        {
            _database = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
            Check(raw.sqlite3_prepare_v2(_database, InsertMessage, out _statement));
        }

        public void Run(string recipient, ChatMessage message, long sequence)
        {
            Span<char> id = stackalloc char[MessageId.TextLength];
            message.Id.TryFormat(id, out var written);
            try
            {
                Check(raw.sqlite3_bind_text16(_statement, 1, recipient));
                Check(raw.sqlite3_bind_text16(_statement, 2, id[..written]));
                Check(raw.sqlite3_bind_int(_statement, 3, (int)message.Kind));
                Check(raw.sqlite3_bind_text16(_statement, 4, message.From));
                Check(raw.sqlite3_bind_text16(_statement, 5, message.Text));
                Check(raw.sqlite3_bind_int64(_statement, 6, message.SentAt.ToUnixTimeMilliseconds()));
                Check(raw.sqlite3_bind_int64(_statement, 7, sequence));
                var done = raw.sqlite3_step(_statement);
                if (done != raw.SQLITE_DONE)
                {
                    Check(done);
                }
            }
            finally
            {
                raw.sqlite3_reset(_statement);
            }
        }

        public void Dispose() => _statement.Dispose();

        private void Check(int result)
        {
            if (result != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(result, _database);
            }
        }
    }
}
