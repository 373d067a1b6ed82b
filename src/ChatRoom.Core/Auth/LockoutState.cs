namespace ChatRoom.Auth;

/// <summary>Failed-login bookkeeping for one user name.</summary>
/// <param name="Failures">Consecutive failures since the last success or lock.</param>
/// <param name="LockedUntil">When the lock ends, or null when not locked.</param>
public sealed record LockoutState(int Failures, DateTimeOffset? LockedUntil)
{
    /// <summary>No failures, not locked.</summary>
    public static LockoutState Clear { get; } = new(0, null);
}
