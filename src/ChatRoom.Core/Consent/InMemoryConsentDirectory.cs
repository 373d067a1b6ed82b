using System.Collections.Concurrent;
using ChatRoom.Presence;

namespace ChatRoom.Consent;

/// <summary>The questions of a single server, in memory; the asking node's timer removes each, so no lifetime is kept.</summary>
internal sealed class InMemoryConsentDirectory : IConsentDirectory
{
    private readonly ConcurrentDictionary<(string Requester, string Target), ConsentQuestion> _questions = new();

    internal int Count => _questions.Count;

    public ValueTask<bool> TryAddAsync(ConsentQuestion question, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        return ValueTask.FromResult(_questions.TryAdd((question.Requester.User, question.Target.User), question));
    }

    public ValueTask<ConsentQuestion?> TryTakeAsync(string requester, string target, SessionId targetSession, CancellationToken cancellationToken = default)
    {
        var key = (requester, target);
        var taken = _questions.TryGetValue(key, out var question)
            && question.Target.Id == targetSession
            && _questions.TryRemove(new KeyValuePair<(string, string), ConsentQuestion>(key, question));
        return ValueTask.FromResult(taken ? question : null);
    }

    public ValueTask<bool> TryRemoveAsync(ConsentQuestion question, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        return ValueTask.FromResult(_questions.TryRemove(new KeyValuePair<(string, string), ConsentQuestion>((question.Requester.User, question.Target.User), question)));
    }
}
