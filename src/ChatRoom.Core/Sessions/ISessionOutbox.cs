using ChatRoom.Presence;

namespace ChatRoom.Sessions;

/// <summary>
/// The core's way to reach an online session, supplied by the transport (TCP connections, an in-memory test host, another node).
/// </summary>
public interface ISessionOutbox
{
    /// <summary>
    /// Queues <paramref name="notice"/> for <paramref name="session"/> without waiting. False when the session has no live
    /// connection here or its queue is full: the caller then treats the session as unreachable.
    /// </summary>
    bool TryPost(SessionId session, SessionNotice notice);
}
