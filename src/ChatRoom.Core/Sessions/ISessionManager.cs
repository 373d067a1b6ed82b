using ChatRoom.Auth;
using ChatRoom.Messaging;
using ChatRoom.Presence;

namespace ChatRoom.Sessions;

/// <summary>
/// The session lifecycle, the same for every transport: log in (taking over an earlier session of the same user), hand
/// over what was kept, announce, acknowledge, log out and expire. A transport calls it for each connection; the core
/// reaches the connection through its <see cref="ISessionConnection"/>.
/// </summary>
public interface ISessionManager
{
    /// <summary>How many sessions this process holds.</summary>
    int Count { get; }

    /// <summary>
    /// Checks the credentials and, when they are right, starts a session on <paramref name="connection"/>, ending (and
    /// closing the connection of) any earlier session of the same user. Nothing is delivered until
    /// <see cref="StartAsync"/>, so the transport can answer the login first.
    /// </summary>
    /// <param name="connection">The connection the session lives on.</param>
    /// <param name="user">The user name.</param>
    /// <param name="password">The password.</param>
    /// <param name="peerPort">Where the client accepts peer connections, or null.</param>
    /// <param name="peerAddress">The address peers should use, or null for the connection's address.</param>
    /// <param name="peerPin">The SHA-256 pin of the certificate the client's peer port speaks TLS with, or null when it speaks plain TCP.</param>
    /// <param name="cancellationToken">Cancels the login.</param>
    ValueTask<SessionLogin> LoginAsync(ISessionConnection connection, string user, string password, int? peerPort = null, string? peerAddress = null, string? peerPin = null, CancellationToken cancellationToken = default);

    /// <summary>Begins delivery on a new session: the first window of kept messages, then its presence is announced.</summary>
    ValueTask StartAsync(ChatSession session, CancellationToken cancellationToken = default);

    /// <summary>
    /// The client acknowledged these messages: those the session handed over leave the store and the session's window.
    /// Ids it did not hand over (never sent to this session, or acknowledged already) are ignored, so a client cannot
    /// delete what it has not been given.
    /// </summary>
    ValueTask AcknowledgeAsync(ChatSession session, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default);

    /// <summary>Records that the session is alive; false when it has ended.</summary>
    ValueTask<bool> HeartbeatAsync(ChatSession session, CancellationToken cancellationToken = default);

    /// <summary>Ends the session (a logout or a closed connection) and tells those allowed to see it. Ending twice does nothing.</summary>
    ValueTask LogoutAsync(ChatSession session, LogoutReason reason, CancellationToken cancellationToken = default);

    /// <summary>The online users <paramref name="viewer"/> may see (not those who blocked them), sorted.</summary>
    ValueTask<IReadOnlyList<string>> GetOnlineUsersAsync(ChatSession viewer, CancellationToken cancellationToken = default);

    /// <summary>Ends every session whose heartbeat is older than the timeout, closing its connection; returns how many. The host calls it on a timer.</summary>
    ValueTask<int> ExpireAsync(CancellationToken cancellationToken = default);
}

/// <summary>The outcome of <see cref="ISessionManager.LoginAsync"/>.</summary>
/// <param name="Result">What authentication said.</param>
/// <param name="Session">The new session when <paramref name="Result"/> is a <see cref="LoginSuccess"/>; else null.</param>
public sealed record SessionLogin(LoginResult Result, ChatSession? Session);
