using System.Collections.Concurrent;
using ChatRoom.Presence;
using ChatRoom.Sessions;

namespace ChatRoom.Server;

/// <summary>Maps logged-in sessions to their connections on this server: the core's outbox.</summary>
internal sealed class ConnectionRegistry : ISessionOutbox
{
    private readonly ConcurrentDictionary<SessionId, ServerConnection> _bySession = new();

    public int Count => _bySession.Count;

    public void Register(SessionId session, ServerConnection connection) => _bySession[session] = connection;

    public void Unregister(SessionId session, ServerConnection connection)
        => _bySession.TryRemove(new KeyValuePair<SessionId, ServerConnection>(session, connection));

    public ServerConnection? Find(SessionId session) => _bySession.GetValueOrDefault(session);

    public bool TryPost(SessionId session, SessionNotice notice)
        => _bySession.TryGetValue(session, out var connection) && connection.TryPost(notice);
}
