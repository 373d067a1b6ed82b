namespace ChatRoom.Auth;

/// <summary>
/// The outcome of a login attempt: <see cref="LoginSuccess"/>, <see cref="LoginInvalid"/>, <see cref="LoginLocked"/>,
/// <see cref="LoginRetryLater"/>, <see cref="LoginAddressLocked"/> or <see cref="LoginUnavailable"/>.
/// </summary>
public abstract record LoginResult;

/// <summary>The credentials were right.</summary>
public sealed record LoginSuccess(string User) : LoginResult;

/// <summary>Unknown user or wrong password (deliberately indistinguishable).</summary>
/// <param name="AttemptsLeft">Further failures allowed from this address before the name locks for it.</param>
public sealed record LoginInvalid(int AttemptsLeft) : LoginResult;

/// <summary>The user name is locked for the address the attempt came from (other addresses are not).</summary>
/// <param name="Remaining">Time until it unlocks.</param>
public sealed record LoginLocked(TimeSpan Remaining) : LoginResult;

/// <summary>
/// The user name has had many failed logins from several addresses, so attempts on it are slowed down: this one was not
/// checked. Try again after <paramref name="RetryAfter"/> (a few seconds at most).
/// </summary>
public sealed record LoginRetryLater(TimeSpan RetryAfter) : LoginResult;

/// <summary>Too many failed logins came from the attempt's address, whatever the names; it may not try any name for a while.</summary>
/// <param name="Remaining">Time until the address may try again.</param>
public sealed record LoginAddressLocked(TimeSpan Remaining) : LoginResult;

/// <summary>The attempt could not be counted (the lockout store failed), so it was refused whatever the password. Try again later.</summary>
public sealed record LoginUnavailable : LoginResult;
