namespace ChatRoom.Auth;

/// <summary>Keeps <see cref="LockoutState"/> per user name. Updates are compare-and-swap so that concurrent logins cannot win extra guesses.</summary>
public interface ILockoutStore
{
    /// <summary>The user's state; <see cref="LockoutState.Clear"/> when none is kept.</summary>
    ValueTask<LockoutState> GetAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>Replaces <paramref name="expected"/> with <paramref name="next"/>; false (and no change) when the stored state is no longer <paramref name="expected"/>.</summary>
    ValueTask<bool> TryUpdateAsync(string user, LockoutState expected, LockoutState next, CancellationToken cancellationToken = default);
}
