using ChatRoom.Presence;

namespace ChatRoom.Consent;

/// <summary>The outcome of starting a getaddress.</summary>
/// <param name="Asked">True when the target was asked; the answer arrives later as a session notice.</param>
/// <param name="Refusal">Why it ended at once, when <paramref name="Asked"/> is false.</param>
public sealed record ConsentRequestResult(bool Asked, ConsentRefusal? Refusal = null);

/// <summary>The outcome of an answer to a consent question.</summary>
public enum ConsentAnswerResult
{
    /// <summary>The answer was applied and the requester told.</summary>
    Applied,

    /// <summary>No open question from that requester (it timed out, was cancelled, or never existed).</summary>
    NoSuchRequest,
}

/// <summary>
/// The consent step of getaddress: the target is asked and must agree within the consent timeout before the requester
/// gets the target's address and a <see cref="PeerGrant"/>. Answers and timeouts reach the parties through the session outbox.
/// </summary>
public interface IConsentService
{
    /// <summary><paramref name="requester"/> asks for <paramref name="target"/>'s address.</summary>
    ValueTask<ConsentRequestResult> RequestAsync(SessionInfo requester, string target, CancellationToken cancellationToken = default);

    /// <summary><paramref name="target"/> answers the open question from <paramref name="requester"/>.</summary>
    ValueTask<ConsentAnswerResult> AnswerAsync(SessionInfo target, string requester, bool allow, CancellationToken cancellationToken = default);

    /// <summary>Ends every open question the ended <paramref name="session"/> asked or was asked; requesters waiting on it are told.</summary>
    void SessionEnded(SessionInfo session);
}
