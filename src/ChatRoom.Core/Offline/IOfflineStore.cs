using ChatRoom.Messaging;
using ChatRoom.Storage;

namespace ChatRoom.Offline;

/// <summary>
/// Every direct message its recipient has not yet acknowledged, in arrival order: stored before it is handed to anyone,
/// removed only when the recipient's client acknowledges it. At-least-once: what was handed over but never acknowledged
/// (a dead connection, a crash) is handed over again at the next login, and the client drops repeats by id.
/// </summary>
/// <remarks>
/// Each stored message gets a <see cref="StoredMessage.Sequence"/> in its recipient's queue: strictly increasing in
/// append order, and never reused while the store is open. Reading resumes after a sequence, so a reader's place does not
/// move when messages before or at it are acknowledged or withheld. When a message with sequence <c>n</c> can be read, so
/// can every message of that recipient with a smaller sequence that was not removed. Consecutive appends to one recipient
/// should get consecutive numbers: the session engine then hands a live message on without reading the store again.
/// </remarks>
public interface IOfflineStore
{
    /// <summary>
    /// Stores <paramref name="message"/> for its recipient, after everything stored before it, unless their box would
    /// then be over <paramref name="limits"/>; returns its sequence, or null when the box is full and nothing was stored.
    /// The check and the append are one step, so concurrent appends cannot take a box past its limits.
    /// </summary>
    /// <exception cref="ChatStoreException">A durable store could not store the message; it then was not, and must not be reported as sent.</exception>
    ValueTask<long?> TryAppendAsync(string recipient, ChatMessage message, MailboxLimits limits, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="message"/> for its recipient with no limit on their box (see <see cref="TryAppendAsync"/>); returns its sequence.</summary>
    /// <exception cref="ChatStoreException">A durable store could not store the message; it then was not, and must not be reported as sent.</exception>
    async ValueTask<long> AppendAsync(string recipient, ChatMessage message, CancellationToken cancellationToken = default)
        => await TryAppendAsync(recipient, message, MailboxLimits.None, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("A store refused a message with no limits.");

    /// <summary>Up to <paramref name="max"/> of the recipient's waiting messages with a sequence above <paramref name="afterSequence"/>, in sequence order, without removing them.</summary>
    /// <param name="recipient">Whose messages.</param>
    /// <param name="afterSequence">Start after this sequence; 0 starts at the oldest.</param>
    /// <param name="max">At most this many; at least 1.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<StoredMessage>> ReadAsync(string recipient, long afterSequence, int max, CancellationToken cancellationToken = default);

    /// <summary>Removes the listed messages; ids not waiting for <paramref name="recipient"/> are ignored.</summary>
    ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default);
}

/// <summary>A message waiting in its recipient's queue.</summary>
/// <param name="Sequence">Its place in the recipient's queue (see <see cref="IOfflineStore"/>); at least 1.</param>
/// <param name="Message">The message.</param>
public readonly record struct StoredMessage(long Sequence, ChatMessage Message);
