namespace ChatRoom.Auth;

/// <summary>
/// Keeps <see cref="LockoutState"/> per key. Keys are opaque strings chosen by the auth service (a user name with an
/// address, an address, a user name). Updates are compare-and-swap so that concurrent logins cannot win extra guesses.
/// </summary>
/// <remarks>
/// A store that cannot read or write throws (a durable store throws <see cref="Storage.ChatStoreException"/>); the auth
/// service then refuses the login, whatever the password, because an attempt it cannot count must not succeed.
/// </remarks>
public interface ILockoutStore
{
    /// <summary>The key's state; <see cref="LockoutState.Clear"/> when none is kept.</summary>
    ValueTask<LockoutState> GetAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>Replaces <paramref name="expected"/> with <paramref name="next"/>; false (and no change) when the stored state is no longer <paramref name="expected"/>.</summary>
    ValueTask<bool> TryUpdateAsync(string user, LockoutState expected, LockoutState next, CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets every state that is idle (see <see cref="LockoutState.IsIdle"/>): no lock running at <paramref name="now"/> and no failure
    /// after <paramref name="failedBefore"/>. A state changed concurrently is kept. Returns how many were removed.
    /// </summary>
    ValueTask<int> PurgeAsync(DateTimeOffset failedBefore, DateTimeOffset now, CancellationToken cancellationToken = default);
}
