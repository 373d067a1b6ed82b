using ChatRoom.Messaging;

namespace ChatRoom.Client;

/// <summary>
/// The ids of the last messages a user was shown, so a message the server hands over again (its acknowledgement was lost
/// to a dead connection or a crash) is shown only once. Share one instance across reconnects of the same user.
/// </summary>
public sealed class SeenMessageIds
{
    private readonly HashSet<MessageId> _seen = [];
    private readonly Queue<MessageId> _order = new();
    private readonly Lock _gate = new();

    /// <summary>Creates a log remembering the last <paramref name="capacity"/> ids.</summary>
    public SeenMessageIds(int capacity = 65_536)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>How many ids are remembered.</summary>
    public int Capacity { get; }

    /// <summary>Records <paramref name="id"/>; false if it was seen before.</summary>
    public bool TryAdd(MessageId id)
    {
        lock (_gate)
        {
            if (!_seen.Add(id))
            {
                return false;
            }

            _order.Enqueue(id);
            if (_order.Count > Capacity)
            {
                _seen.Remove(_order.Dequeue());
            }

            return true;
        }
    }
}
