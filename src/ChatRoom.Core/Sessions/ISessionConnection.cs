using ChatRoom.Presence;

namespace ChatRoom.Sessions;

/// <summary>
/// One client connection as the session engine sees it, supplied by a transport (TCP, an in-memory host, another node).
/// The engine posts notices to it in the order the client must see them and closes it when the session ends from the
/// core's side.
/// </summary>
public interface ISessionConnection
{
    /// <summary>The client's address as the transport sees it (for lockout, logs and peer addresses).</summary>
    string RemoteAddress { get; }

    /// <summary>
    /// Queues <paramref name="notice"/> without waiting, after everything posted before it. Must be safe to call from
    /// several threads and must not call back into the engine. Returns <see cref="PostOutcome.Full"/> when the client
    /// reads too slowly to take it (the transport then drops the connection) and <see cref="PostOutcome.Closed"/> when
    /// the connection is closing.
    /// </summary>
    PostOutcome TryPost(SessionNotice notice);

    /// <summary>The core ended the session (<paramref name="end"/> says why): tell the client, after what is queued, and close.</summary>
    void Close(SessionEnd end);
}

/// <summary>What became of a notice posted to a connection.</summary>
public enum PostOutcome
{
    /// <summary>Queued for the client, behind what was posted before it.</summary>
    Queued,

    /// <summary>The client's queue is full: it is not reading. The connection is being dropped.</summary>
    Full,

    /// <summary>The connection is closing or closed.</summary>
    Closed,
}

/// <summary>Why the core ended a session, as told to its connection.</summary>
/// <param name="Reason">Why: <see cref="LogoutReason.Displaced"/>, <see cref="LogoutReason.Expired"/> or <see cref="LogoutReason.ServerShutdown"/>.</param>
/// <param name="NewAddress">For a displaced session, the address of the login that took over; else null.</param>
public sealed record SessionEnd(LogoutReason Reason, string? NewAddress = null);
