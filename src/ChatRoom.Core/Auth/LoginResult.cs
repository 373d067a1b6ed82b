namespace ChatRoom.Auth;

/// <summary>The outcome of a login attempt: <see cref="LoginSuccess"/>, <see cref="LoginInvalid"/> or <see cref="LoginLocked"/>.</summary>
public abstract record LoginResult;

/// <summary>The credentials were right.</summary>
public sealed record LoginSuccess(string User) : LoginResult;

/// <summary>Unknown user or wrong password (deliberately indistinguishable).</summary>
/// <param name="AttemptsLeft">Further failures allowed before the name locks.</param>
public sealed record LoginInvalid(int AttemptsLeft) : LoginResult;

/// <summary>The user name is locked.</summary>
/// <param name="Remaining">Time until it unlocks.</param>
public sealed record LoginLocked(TimeSpan Remaining) : LoginResult;
