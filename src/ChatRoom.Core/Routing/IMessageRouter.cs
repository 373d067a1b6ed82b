using ChatRoom.Presence;

namespace ChatRoom.Routing;

/// <summary>Decides where every message and presence change goes, applying block lists and limits.</summary>
public interface IMessageRouter
{
    /// <summary>
    /// Sends <paramref name="text"/> from <paramref name="from"/> to <paramref name="to"/>. An accepted message is stored before
    /// anything else, so the result (delivered now, or kept for an offline user) is only returned once it is safe.
    /// </summary>
    ValueTask<SendResult> SendAsync(string from, string to, string text, CancellationToken cancellationToken = default);

    /// <summary>Sends <paramref name="text"/> to every online user except the sender and those who blocked the sender.</summary>
    ValueTask<BroadcastResult> BroadcastAsync(string from, string text, CancellationToken cancellationToken = default);

    /// <summary>Tells every online user (except those <paramref name="session"/>'s user has blocked) that the user came online or went offline.</summary>
    ValueTask AnnouncePresenceAsync(SessionInfo session, bool online, CancellationToken cancellationToken = default);

    /// <summary>
    /// Hands the session every message its user has not acknowledged, oldest first (they stay stored until
    /// <see cref="AcknowledgeAsync"/>). Returns how many were handed over.
    /// </summary>
    ValueTask<int> DeliverOfflineAsync(SessionInfo session, CancellationToken cancellationToken = default);

    /// <summary>The recipient's client has taken these messages: they are removed from storage and never handed over again.</summary>
    ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<Messaging.MessageId> ids, CancellationToken cancellationToken = default);
}
