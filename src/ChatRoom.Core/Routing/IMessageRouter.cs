using ChatRoom.Presence;

namespace ChatRoom.Routing;

/// <summary>Decides where every message and presence change goes, applying block lists and limits.</summary>
public interface IMessageRouter
{
    /// <summary>Sends <paramref name="text"/> from <paramref name="from"/> to <paramref name="to"/>: delivered now, stored offline, or refused.</summary>
    ValueTask<SendResult> SendAsync(string from, string to, string text, CancellationToken cancellationToken = default);

    /// <summary>Sends <paramref name="text"/> to every online user except the sender and those who blocked the sender.</summary>
    ValueTask<BroadcastResult> BroadcastAsync(string from, string text, CancellationToken cancellationToken = default);

    /// <summary>Tells every online user (except those <paramref name="session"/>'s user has blocked) that the user came online or went offline.</summary>
    ValueTask AnnouncePresenceAsync(SessionInfo session, bool online, CancellationToken cancellationToken = default);

    /// <summary>Hands the session's stored messages to it, oldest first, acknowledging each one posted. Returns how many were handed over.</summary>
    ValueTask<int> DeliverOfflineAsync(SessionInfo session, CancellationToken cancellationToken = default);
}
