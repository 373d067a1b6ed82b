using System.Collections.Concurrent;
using ChatRoom.Presence;

namespace ChatRoom.Sessions;

/// <summary>The sessions this process can reach, by id and by user: how the router, consent and presence find a connection.</summary>
internal sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<SessionId, ChatSession> _byId = new();
    private readonly ConcurrentDictionary<string, ChatSession> _byUser = new(StringComparer.Ordinal);

    public int Count => _byId.Count;

    /// <summary>Every reachable session, a moment's snapshot.</summary>
    public ICollection<ChatSession> All => _byId.Values;

    public void Add(ChatSession session)
    {
        _byId[session.Id] = session;
        _byUser[session.User] = session;
    }

    /// <summary>Forgets <paramref name="session"/>, unless a newer session of its user has replaced it.</summary>
    public void Remove(ChatSession session)
    {
        _byId.TryRemove(new KeyValuePair<SessionId, ChatSession>(session.Id, session));
        _byUser.TryRemove(new KeyValuePair<string, ChatSession>(session.User, session));
    }

    public ChatSession? Find(SessionId id) => _byId.GetValueOrDefault(id);

    public ChatSession? FindUser(string user) => _byUser.GetValueOrDefault(user);

    /// <summary>Posts to the session if it is here and live; true when queued.</summary>
    public bool Post(SessionId id, SessionNotice notice) => Find(id)?.Post(notice) == PostOutcome.Queued;
}
