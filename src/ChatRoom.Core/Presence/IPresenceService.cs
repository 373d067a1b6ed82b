namespace ChatRoom.Presence;

/// <summary>
/// Who is online: the directory of sessions, one per user (a second login takes over). In a cluster it is shared by
/// every node. It raises no events: the session engine, which calls it, does.
/// </summary>
public interface IPresenceService
{
    /// <summary>Records <paramref name="session"/> as its user's current session, ending (displacing) any earlier one.</summary>
    /// <param name="session">The new session: a new id, the user, where the client is and which node holds its connection.</param>
    /// <param name="cancellationToken">Cancels the login.</param>
    ValueTask<PresenceLogin> LoginAsync(SessionInfo session, CancellationToken cancellationToken = default);

    /// <summary>Records that the session is alive. False when it is no longer current (ended, displaced or expired).</summary>
    ValueTask<bool> HeartbeatAsync(SessionId session, string user, CancellationToken cancellationToken = default);

    /// <summary>Ends the session if it is still the user's current one; returns it, or null if it had already ended.</summary>
    ValueTask<SessionInfo?> LogoutAsync(SessionId session, string user, LogoutReason reason, CancellationToken cancellationToken = default);

    /// <summary>The user's current session, or null when offline.</summary>
    ValueTask<SessionInfo?> FindAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>Every online session, in no particular order.</summary>
    ValueTask<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Every online user, in no particular order: what <c>online</c> needs, which a shared directory can answer more cheaply than <see cref="ListAsync"/>.</summary>
    async ValueTask<IReadOnlyList<string>> ListUsersAsync(CancellationToken cancellationToken = default)
        => [.. (await ListAsync(cancellationToken).ConfigureAwait(false)).Select(static s => s.User)];

    /// <summary>Ends every session whose last heartbeat is older than the heartbeat timeout and returns them. The host calls this on its timer.</summary>
    ValueTask<IReadOnlyList<SessionInfo>> SweepAsync(CancellationToken cancellationToken = default);
}
