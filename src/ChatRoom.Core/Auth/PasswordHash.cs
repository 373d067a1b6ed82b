using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ChatRoom.Auth;

/// <summary>
/// A salted PBKDF2-HMAC-SHA256 password hash as written in a credentials file:
/// <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c>, salt and hash in base64 (16-byte salt, 32-byte hash, at least
/// <see cref="MinIterations"/> and at most <see cref="MaxIterations"/> iterations).
/// </summary>
public sealed class PasswordHash
{
    /// <summary>The prefix that marks a hash; a plaintext password may not start with it.</summary>
    public const string Prefix = "pbkdf2-sha256$";

    /// <summary>Fewest iterations accepted: OWASP's figure for PBKDF2-HMAC-SHA256.</summary>
    public const int MinIterations = 600_000;

    /// <summary>Most iterations accepted: every login pays the highest count in the file, so a typo here would stall them all.</summary>
    public const int MaxIterations = 10_000_000;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private readonly byte[] _salt;
    private readonly byte[] _hash;

    private PasswordHash(int iterations, byte[] salt, byte[] hash)
    {
        Iterations = iterations;
        _salt = salt;
        _hash = hash;
    }

    /// <summary>How many PBKDF2 iterations a check costs.</summary>
    public int Iterations { get; }

    /// <summary>Hashes <paramref name="password"/> with a fresh random salt.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="iterations"/> is below <see cref="MinIterations"/> or above <see cref="MaxIterations"/>.</exception>
    public static PasswordHash Create(string password, int iterations = MinIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinIterations);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return new PasswordHash(iterations, salt, Derive(password, salt, iterations));
    }

    /// <summary>A hash no password matches (random salt and digest), for the same work on an unknown user as on a known one.</summary>
    internal static PasswordHash Decoy(int iterations)
        => new(iterations, RandomNumberGenerator.GetBytes(SaltBytes), RandomNumberGenerator.GetBytes(HashBytes));

    /// <summary>Reads a hash in the file format; on failure <paramref name="problem"/> says what is wrong.</summary>
    public static bool TryParse(string text, out PasswordHash? hash, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        hash = null;
        var parts = text.Split('$');
        if (parts.Length != 4 || parts[0] + "$" != Prefix)
        {
            problem = $"a hash must read {Prefix}ITERATIONS$SALT$HASH";
            return false;
        }

        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
        {
            problem = $"'{parts[1]}' is not an iteration count";
            return false;
        }

        if (iterations < MinIterations)
        {
            problem = $"{iterations} iterations is too few; at least {MinIterations} are required (make a new hash with hash-password)";
            return false;
        }

        if (iterations > MaxIterations)
        {
            problem = $"{iterations} iterations is too many; at most {MaxIterations} are accepted, since every login pays them (make a new hash with hash-password)";
            return false;
        }

        var salt = FromBase64(parts[2]);
        var derived = FromBase64(parts[3]);
        if (salt is not { Length: >= SaltBytes } || derived is not { Length: HashBytes })
        {
            problem = $"the salt must be at least {SaltBytes} bytes and the hash {HashBytes} bytes, in base64";
            return false;
        }

        hash = new PasswordHash(iterations, salt, derived);
        problem = null;
        return true;
    }

    /// <summary>Whether <paramref name="password"/> matches, compared in constant time. Costs <see cref="Iterations"/> iterations of CPU.</summary>
    public bool Verify(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return CryptographicOperations.FixedTimeEquals(Derive(password, _salt, Iterations), _hash);
    }

    /// <summary>The hash in the file format.</summary>
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Iterations}${Convert.ToBase64String(_salt)}${Convert.ToBase64String(_hash)}");

    private static byte[] Derive(string password, byte[] salt, int iterations)
        => Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);

    private static byte[]? FromBase64(string text)
    {
        var bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text, bytes, out var written) ? bytes[..written] : null;
    }
}
