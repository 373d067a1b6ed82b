namespace ChatRoom.Auth;

/// <summary>
/// Checks credentials. A user name locks for the address it failed from after repeated failures; an address with many
/// failures over all names is refused for a while; a name failing from many addresses is slowed down, never locked. An
/// attempt that cannot be counted is refused (<see cref="LoginUnavailable"/>).
/// </summary>
public interface IAuthService
{
    /// <summary>Attempts a login. Surrounding white space in <paramref name="user"/> and <paramref name="password"/> is ignored.</summary>
    /// <param name="user">The user name typed.</param>
    /// <param name="password">The password typed.</param>
    /// <param name="remoteAddress">Where the attempt came from: locks and limits are kept per address.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    ValueTask<LoginResult> LoginAsync(string user, string password, string remoteAddress, CancellationToken cancellationToken = default);
}
