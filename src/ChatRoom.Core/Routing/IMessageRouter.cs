namespace ChatRoom.Routing;

/// <summary>Decides where every message and presence change goes, applying block lists and limits.</summary>
public interface IMessageRouter
{
    /// <summary>
    /// Sends <paramref name="text"/> from <paramref name="from"/> to <paramref name="to"/>. An accepted message is stored before
    /// anything else, so the result is only returned once it is safe: <see cref="SendOutcome.Delivered"/> (queued to the
    /// recipient's connection now), <see cref="SendOutcome.Queued"/> (the recipient is online and gets it after the earlier
    /// messages it is still taking) or <see cref="SendOutcome.StoredOffline"/>. None of them means the recipient has read it;
    /// it stays stored until the recipient's client acknowledges it.
    /// </summary>
    ValueTask<SendResult> SendAsync(string from, string to, string text, CancellationToken cancellationToken = default);

    /// <summary>Sends <paramref name="text"/> to every online user except the sender and those who blocked the sender.</summary>
    ValueTask<BroadcastResult> BroadcastAsync(string from, string text, CancellationToken cancellationToken = default);
}
