using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;

namespace ChatRoom.Auth;

/// <summary>A fixed set of users held in memory, loaded from code or from a <see cref="CredentialFile"/>.</summary>
public sealed class InMemoryCredentialSource : ICredentialSource
{
    // Passwords are kept as SHA-256 digests so every comparison is over 32 bytes, whatever the lengths.
    private readonly FrozenDictionary<string, byte[]> _digests;
    private static readonly byte[] s_unknownUserDigest = SHA256.HashData("\0unknown\0"u8);

    /// <summary>Creates a source holding <paramref name="users"/> (user name, password).</summary>
    /// <exception cref="ArgumentException">A user name is malformed, listed twice, or a password is empty.</exception>
    public InMemoryCredentialSource(IEnumerable<KeyValuePair<string, string>> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        var digests = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (user, password) in users)
        {
            if (!UserNames.IsValid(user))
            {
                throw new ArgumentException($"'{user}' is not a valid user name.", nameof(users));
            }

            if (string.IsNullOrEmpty(password))
            {
                throw new ArgumentException($"User '{user}' has an empty password.", nameof(users));
            }

            if (!digests.TryAdd(user, Digest(password)))
            {
                throw new ArgumentException($"User '{user}' is listed twice.", nameof(users));
            }
        }

        _digests = digests.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The known user names.</summary>
    public IReadOnlyCollection<string> Users => _digests.Keys;

    /// <inheritdoc />
    public ValueTask<bool> ExistsAsync(string userName, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(_digests.ContainsKey(userName));

    /// <inheritdoc />
    public ValueTask<bool> VerifyAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(password);
        // An unknown user still costs one hash and one comparison, so timing does not tell it apart.
        var known = _digests.TryGetValue(userName, out var expected);
        var matches = CryptographicOperations.FixedTimeEquals(Digest(password), expected ?? s_unknownUserDigest);
        return ValueTask.FromResult(known && matches);
    }

    private static byte[] Digest(string password) => SHA256.HashData(Encoding.UTF8.GetBytes(password));
}
