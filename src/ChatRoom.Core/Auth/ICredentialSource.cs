namespace ChatRoom.Auth;

/// <summary>Where the server learns who may log in. A host can supply users from a file, from code or from a remote directory.</summary>
public interface ICredentialSource
{
    /// <summary>Whether <paramref name="userName"/> is a known user.</summary>
    ValueTask<bool> ExistsAsync(string userName, CancellationToken cancellationToken = default);

    /// <summary>Whether <paramref name="password"/> is the password of <paramref name="userName"/>; false for an unknown user. Compares in constant time.</summary>
    ValueTask<bool> VerifyAsync(string userName, string password, CancellationToken cancellationToken = default);
}
