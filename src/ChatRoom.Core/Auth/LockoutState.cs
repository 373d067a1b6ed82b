namespace ChatRoom.Auth;

/// <summary>Failed-login bookkeeping for one lockout key (a user name from one address, an address, or a user name from everywhere).</summary>
/// <param name="Failures">Failures counted since the last success, lock, or quiet spell.</param>
/// <param name="LockedUntil">When the lock (or slowdown) ends, or null when none was set.</param>
/// <param name="LastFailure">When the last failure was counted, or null when none was; stores purge rows by it.</param>
public sealed record LockoutState(int Failures, DateTimeOffset? LockedUntil, DateTimeOffset? LastFailure = null)
{
    /// <summary>No failures, not locked.</summary>
    public static LockoutState Clear { get; } = new(0, null);

    /// <summary>Whether the state may be forgotten at <paramref name="now"/>: no lock running and no failure after <paramref name="failedBefore"/>.</summary>
    public bool IsIdle(DateTimeOffset failedBefore, DateTimeOffset now)
        => (LockedUntil is not { } until || until <= now) && (LastFailure is not { } last || last <= failedBefore);
}
