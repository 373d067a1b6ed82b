using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;

namespace ChatRoom.Auth;

/// <summary>
/// A fixed set of users held in memory, loaded from code or from a <see cref="CredentialFile"/>. Each user's secret is a
/// plaintext password or a salted hash (<see cref="PasswordHash"/>, a value starting with <see cref="PasswordHash.Prefix"/>).
/// </summary>
/// <remarks>
/// Comparisons are constant-time. When any user has a hash, every check costs one PBKDF2 at the highest iteration count
/// held (an unknown user or a plaintext one runs a decoy), so timing tells neither unknown users nor plaintext ones apart.
/// </remarks>
public sealed class InMemoryCredentialSource : ICredentialSource, ICostlyCredentialSource
{
    private static readonly byte[] s_unknownUserDigest = SHA256.HashData("\0unknown\0"u8);

    // Plaintext passwords are kept as SHA-256 digests so every comparison is over 32 bytes, whatever the lengths.
    private readonly FrozenDictionary<string, Secret> _secrets;
    private readonly PasswordHash? _decoy;

    /// <summary>Creates a source holding <paramref name="users"/> (user name, password or <see cref="PasswordHash"/> text).</summary>
    /// <exception cref="ArgumentException">A user name is malformed or listed twice, a password is empty, or a hash is malformed or has too few iterations.</exception>
    public InMemoryCredentialSource(IEnumerable<KeyValuePair<string, string>> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        var secrets = new Dictionary<string, Secret>(StringComparer.Ordinal);
        var plaintext = new List<string>();
        var maxIterations = 0;
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

            Secret secret;
            if (password.StartsWith(PasswordHash.Prefix, StringComparison.Ordinal))
            {
                if (!PasswordHash.TryParse(password, out var hash, out var problem))
                {
                    throw new ArgumentException($"User '{user}': {problem}.", nameof(users));
                }

                secret = new Secret(null, hash);
                maxIterations = Math.Max(maxIterations, hash!.Iterations);
            }
            else
            {
                secret = new Secret(Digest(password), null);
                plaintext.Add(user);
            }

            if (!secrets.TryAdd(user, secret))
            {
                throw new ArgumentException($"User '{user}' is listed twice.", nameof(users));
            }
        }

        _secrets = secrets.ToFrozenDictionary(StringComparer.Ordinal);
        _decoy = maxIterations > 0 ? PasswordHash.Decoy(maxIterations) : null;
        plaintext.Sort(StringComparer.Ordinal);
        PlaintextUsers = plaintext;
    }

    /// <summary>The known user names.</summary>
    public IReadOnlyCollection<string> Users => _secrets.Keys;

    /// <summary>The users whose password is kept in plaintext rather than hashed, in ordinal order.</summary>
    public IReadOnlyList<string> PlaintextUsers { get; }

    /// <inheritdoc />
    bool ICostlyCredentialSource.ChecksAreCostly => _decoy is not null;

    /// <inheritdoc />
    public ValueTask<bool> ExistsAsync(string userName, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(_secrets.ContainsKey(userName));

    /// <inheritdoc />
    public ValueTask<bool> VerifyAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        var known = _secrets.TryGetValue(userName, out var secret);
        if (known && secret.Hash is { } hash)
        {
            return ValueTask.FromResult(hash.Verify(password));
        }

        // An unknown user still costs what a known one does (a hash when the source holds any, and one digest comparison),
        // so timing does not tell it apart.
        _decoy?.Verify(password);
        var matches = CryptographicOperations.FixedTimeEquals(Digest(password), known ? secret.Digest! : s_unknownUserDigest);
        return ValueTask.FromResult(known && matches);
    }

    private static byte[] Digest(string password) => SHA256.HashData(Encoding.UTF8.GetBytes(password));

    private readonly record struct Secret(byte[]? Digest, PasswordHash? Hash);
}
