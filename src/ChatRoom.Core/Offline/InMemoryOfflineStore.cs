using System.Collections.Concurrent;
using ChatRoom.Messaging;

namespace ChatRoom.Offline;

/// <summary>
/// Offline messages in process memory; lost on restart. Each recipient's queue has its own lock and numbers its
/// messages 1, 2, 3, … in append order.
/// </summary>
public sealed class InMemoryOfflineStore : IOfflineStore
{
    private readonly ConcurrentDictionary<string, Queue> _queues = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<long> AppendAsync(string recipient, ChatMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ValueTask.FromResult(_queues.GetOrAdd(recipient, static _ => new Queue()).Append(message));
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

    /// <summary>One recipient's messages: a tree of sequences (reads and removals in log time, wherever they fall) and two indexes.</summary>
    private sealed class Queue
    {
        private readonly SortedSet<long> _sequences = [];
        private readonly Dictionary<long, ChatMessage> _bySequence = [];
        private readonly Dictionary<MessageId, long> _byId = [];
        private readonly Lock _gate = new();
        private long _last;

        public long Append(ChatMessage message)
        {
            lock (_gate)
            {
                var sequence = ++_last;
                _sequences.Add(sequence);
                _bySequence.Add(sequence, message);
                _byId[message.Id] = sequence;
                return sequence;
            }
        }

        public List<StoredMessage> Read(long afterSequence, int max)
        {
            lock (_gate)
            {
                var page = new List<StoredMessage>(Math.Min(max, _bySequence.Count));
                if (afterSequence >= _last || _sequences.Count == 0)
                {
                    return page;
                }

                foreach (var sequence in _sequences.GetViewBetween(afterSequence + 1, _last))
                {
                    page.Add(new StoredMessage(sequence, _bySequence[sequence]));
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
                    if (_byId.Remove(id, out var sequence))
                    {
                        _sequences.Remove(sequence);
                        _bySequence.Remove(sequence);
                    }
                }
            }
        }
    }
}
