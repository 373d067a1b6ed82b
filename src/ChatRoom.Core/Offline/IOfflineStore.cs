using ChatRoom.Messaging;

namespace ChatRoom.Offline;

/// <summary>
/// Messages waiting for an offline user, in arrival order. At-least-once: a reader peeks, delivers,
/// then acknowledges what was delivered, so a crash between the two repeats rather than loses.
/// </summary>
public interface IOfflineStore
{
    /// <summary>Stores <paramref name="message"/> for its recipient, after everything stored before it.</summary>
    ValueTask AppendAsync(string recipient, ChatMessage message, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> of the recipient's waiting messages, oldest first, without removing them.</summary>
    ValueTask<IReadOnlyList<ChatMessage>> PeekAsync(string recipient, int max, CancellationToken cancellationToken = default);

    /// <summary>Removes the listed messages; ids not waiting are ignored.</summary>
    ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default);
}
