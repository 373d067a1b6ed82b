using System.Security.Cryptography;
using System.Text;

namespace ChatRoom.Consent;

/// <summary>
/// Permission for <see cref="Requester"/> to open a peer-to-peer connection to <see cref="Target"/>, proven by a random 128-bit token
/// that the server gives to both sides.
/// </summary>
/// <param name="Requester">Who may connect.</param>
/// <param name="Target">Who accepts the connection.</param>
/// <param name="Token">32 hex digits.</param>
/// <param name="ExpiresAt">After this the target refuses it.</param>
public sealed record PeerGrant(string Requester, string Target, string Token, DateTimeOffset ExpiresAt)
{
    /// <summary>Creates a grant with a fresh random token.</summary>
    public static PeerGrant Create(string requester, string target, DateTimeOffset expiresAt)
        => new(requester, target, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), expiresAt);

    /// <summary>Whether <paramref name="token"/> from <paramref name="requester"/> matches this grant at <paramref name="now"/>. The token is compared in constant time.</summary>
    public bool Admits(string requester, string token, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(token);
        var tokenMatches = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token), Encoding.ASCII.GetBytes(Token));
        return tokenMatches && string.Equals(requester, Requester, StringComparison.Ordinal) && now < ExpiresAt;
    }
}
