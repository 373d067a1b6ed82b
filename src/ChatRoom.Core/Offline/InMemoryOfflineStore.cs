using System.Collections.Concurrent;
using ChatRoom.Messaging;

namespace ChatRoom.Offline;

/// <summary>Offline messages in process memory; lost on restart. Each recipient's queue has its own lock.</summary>
public sealed class InMemoryOfflineStore : IOfflineStore
{
    private readonly ConcurrentDictionary<string, List<ChatMessage>> _queues = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask AppendAsync(string recipient, ChatMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var queue = _queues.GetOrAdd(recipient, static _ => []);
        lock (queue)
        {
            queue.Add(message);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ChatMessage>> PeekAsync(string recipient, int max, MessageId? after = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        if (!_queues.TryGetValue(recipient, out var queue))
        {
            return ValueTask.FromResult<IReadOnlyList<ChatMessage>>([]);
        }

        lock (queue)
        {
            var start = after is { } cursor ? queue.FindIndex(m => m.Id == cursor) + 1 : 0;
            return ValueTask.FromResult<IReadOnlyList<ChatMessage>>(queue.GetRange(start, Math.Min(max, queue.Count - start)));
        }
    }

    /// <inheritdoc />
    public ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count > 0 && _queues.TryGetValue(recipient, out var queue))
        {
            var set = ids as ISet<MessageId> ?? new HashSet<MessageId>(ids);
            lock (queue)
            {
                queue.RemoveAll(m => set.Contains(m.Id));
            }
        }

        return ValueTask.CompletedTask;
    }
}
