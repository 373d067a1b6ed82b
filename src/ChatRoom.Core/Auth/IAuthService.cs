namespace ChatRoom.Auth;

/// <summary>Checks credentials and locks a user name after repeated failures, from every address alike.</summary>
public interface IAuthService
{
    /// <summary>Attempts a login. Surrounding white space in <paramref name="user"/> and <paramref name="password"/> is ignored.</summary>
    /// <param name="user">The user name typed.</param>
    /// <param name="password">The password typed.</param>
    /// <param name="remoteAddress">Where the attempt came from, for the event log.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    ValueTask<LoginResult> LoginAsync(string user, string password, string remoteAddress, CancellationToken cancellationToken = default);
}
