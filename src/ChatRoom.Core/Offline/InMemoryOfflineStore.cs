using System.Collections.Concurrent;
using System.Text;
using ChatRoom.Messaging;

namespace ChatRoom.Offline;

/// <summary>
/// Offline messages in process memory; lost on restart. Each recipient's queue has its own lock and numbers its
/// messages 1, 2, 3, … in append order, and checks its limits under the same lock as the append.
/// </summary>
public sealed class InMemoryOfflineStore : IOfflineStore
{
    private readonly ConcurrentDictionary<string, Queue> _queues = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<long?> TryAppendAsync(string recipient, ChatMessage message, MailboxLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ValueTask.FromResult(_queues.GetOrAdd(recipient, static _ => new Queue()).Append(message, limits));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredMessage>> ReadAsync(string recipient, long afterSequence, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        return ValueTask.FromResult(_queues.TryGetValue(recipient, out var queue) ? queue.Read(afterSequence, max) : (IReadOnlyList<StoredMessage>)[]);
    }

    /// <inheritdoc />
    public ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count > 0 && _queues.TryGetValue(recipient, out var queue))
        {
            queue.Remove(ids);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>One recipient's messages: a tree ordered by sequence (reads and removals in log time, wherever they fall), an index by id, and their total size.</summary>
    private sealed class Queue
    {
        private static readonly Comparer<StoredMessage> s_bySequence = Comparer<StoredMessage>.Create(static (a, b) => a.Sequence.CompareTo(b.Sequence));

        private readonly SortedSet<StoredMessage> _messages = new(s_bySequence);
        private readonly Dictionary<MessageId, StoredMessage> _byId = [];
        private readonly Lock _gate = new();
        private long _last;
        private long _bytes;

        public long? Append(ChatMessage message, MailboxLimits limits)
        {
            var size = Encoding.UTF8.GetByteCount(message.Text);
            lock (_gate)
            {
                if (!limits.Admits(_messages.Count, _bytes, size))
                {
                    return null;
                }

                _bytes += size;
                var stored = new StoredMessage(++_last, message);
                _messages.Add(stored);
                _byId[message.Id] = stored;
                return stored.Sequence;
            }
        }

        public List<StoredMessage> Read(long afterSequence, int max)
        {
            lock (_gate)
            {
                var page = new List<StoredMessage>(Math.Min(max, _messages.Count));
                if (afterSequence >= _last || _messages.Count == 0)
                {
                    return page;
                }

                foreach (var stored in _messages.GetViewBetween(new StoredMessage(afterSequence + 1, null!), new StoredMessage(_last, null!)))
                {
                    page.Add(stored);
                    if (page.Count == max)
                    {
                        break;
                    }
                }

                return page;
            }
        }

        public void Remove(IReadOnlyCollection<MessageId> ids)
        {
            lock (_gate)
            {
                foreach (var id in ids)
                {
                    if (_byId.Remove(id, out var stored))
                    {
                        _messages.Remove(stored);
                        _bytes -= Encoding.UTF8.GetByteCount(stored.Message.Text);
                    }
                }
            }
        }
    }
}
