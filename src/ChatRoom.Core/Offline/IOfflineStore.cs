using ChatRoom.Messaging;

namespace ChatRoom.Offline;

/// <summary>
/// Every direct message its recipient has not yet acknowledged, in arrival order: stored before it is handed to anyone,
/// removed only when the recipient's client acknowledges it. At-least-once: what was handed over but never acknowledged
/// (a dead connection, a crash) is handed over again at the next login, and the client drops repeats by id.
/// </summary>
public interface IOfflineStore
{
    /// <summary>Stores <paramref name="message"/> for its recipient, after everything stored before it.</summary>
    ValueTask AppendAsync(string recipient, ChatMessage message, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> of the recipient's waiting messages, oldest first, without removing them.</summary>
    /// <param name="recipient">Whose messages.</param>
    /// <param name="max">At most this many.</param>
    /// <param name="after">Start after this message (a cursor from the previous page); null to start at the oldest.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<ChatMessage>> PeekAsync(string recipient, int max, MessageId? after = null, CancellationToken cancellationToken = default);

    /// <summary>Removes the listed messages; ids not waiting are ignored.</summary>
    ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default);
}
