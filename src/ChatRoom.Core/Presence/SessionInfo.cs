namespace ChatRoom.Presence;

/// <summary>Identifies one login session; a user who logs in again gets a new one.</summary>
public readonly record struct SessionId(Guid Value)
{
    /// <summary>A new random session id.</summary>
    public static SessionId New() => new(Guid.NewGuid());

    /// <inheritdoc />
    public override string ToString() => Value.ToString("N")[..12];
}

/// <summary>An online session.</summary>
/// <param name="Id">The session.</param>
/// <param name="User">Who is logged in.</param>
/// <param name="RemoteAddress">The client's IP address as the server saw it.</param>
/// <param name="PeerPort">The TCP port the client listens on for peers, if it does.</param>
/// <param name="LoginTime">When the session began.</param>
/// <param name="LastHeartbeat">When the client was last heard from.</param>
public sealed record SessionInfo(SessionId Id, string User, string RemoteAddress, int? PeerPort, DateTimeOffset LoginTime, DateTimeOffset LastHeartbeat)
{
    /// <summary>The address peers should connect to, when the client named one (hosts with several interfaces); else <see cref="RemoteAddress"/> is used.</summary>
    public string? PeerAddress { get; init; }

    /// <summary>The SHA-256 pin of the certificate the client's peer port speaks TLS with, or null when it speaks plain TCP.</summary>
    public string? PeerPin { get; init; }

    /// <summary>The server node that holds the session's connection (see <see cref="Cluster.IClusterBus.NodeId"/>); null when unknown.</summary>
    public string? Node { get; init; }
}

/// <summary>Why a session ended.</summary>
public enum LogoutReason
{
    /// <summary>The user logged out.</summary>
    Requested,

    /// <summary>The client's connection closed or broke.</summary>
    Disconnected,

    /// <summary>No heartbeat arrived within the timeout.</summary>
    Expired,

    /// <summary>The same user logged in elsewhere.</summary>
    Displaced,

    /// <summary>The server is shutting down.</summary>
    ServerShutdown,
}

/// <summary>The outcome of a login in <see cref="IPresenceService"/>.</summary>
/// <param name="Session">The new session.</param>
/// <param name="Displaced">The user's earlier session, now ended, or null.</param>
public sealed record PresenceLogin(SessionInfo Session, SessionInfo? Displaced);
