using ChatRoom.Presence;

namespace ChatRoom.Consent;

/// <summary>
/// The consent questions waiting for an answer, at most one per requester and target. In a cluster it is shared: the
/// question is asked on the requester's node and answered on the target's, which may be another one.
/// </summary>
/// <remarks>
/// The node that asked keeps the timer; the directory only decides who wins a question (the answer, the timeout or a
/// session's end), so exactly one of them acts on it. A shared directory also forgets a question after its lifetime, so
/// one whose asking node died does not block the pair for good.
/// </remarks>
public interface IConsentDirectory
{
    /// <summary>Records <paramref name="question"/>; false (and no change) when its requester already waits on its target.</summary>
    ValueTask<bool> TryAddAsync(ConsentQuestion question, TimeSpan lifetime, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes and returns the question <paramref name="requester"/> asked <paramref name="target"/>, if it is waiting and
    /// was asked of the session <paramref name="targetSession"/>; else null and no change.
    /// </summary>
    ValueTask<ConsentQuestion?> TryTakeAsync(string requester, string target, SessionId targetSession, CancellationToken cancellationToken = default);

    /// <summary>Removes exactly <paramref name="question"/> (same <see cref="ConsentQuestion.Id"/>); false when it was taken already.</summary>
    ValueTask<bool> TryRemoveAsync(ConsentQuestion question, CancellationToken cancellationToken = default);
}

/// <summary>One consent question: who asked, and which session of the target was asked.</summary>
/// <param name="Id">Tells this question from a later one between the same two users.</param>
/// <param name="Requester">The requester's session.</param>
/// <param name="Target">The target's session that was asked.</param>
public sealed record ConsentQuestion(Guid Id, SessionInfo Requester, SessionInfo Target);
