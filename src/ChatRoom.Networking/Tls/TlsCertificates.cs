using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ChatRoom.Tls;

/// <summary>Loads, makes and pins the certificates ChatRoom's TLS uses.</summary>
public static class TlsCertificates
{
    /// <summary>
    /// Loads a certificate with its private key: a PKCS#12 (PFX) file, or, when <paramref name="keyPath"/> is given, a PEM
    /// certificate and a PEM private key.
    /// </summary>
    /// <param name="certificatePath">The PFX file, or the PEM certificate.</param>
    /// <param name="keyPath">The PEM private key, for a PEM certificate; null for a PFX.</param>
    /// <param name="password">The PFX password, or the password of an encrypted PEM key; null for none.</param>
    /// <exception cref="CryptographicException">The file cannot be read as a certificate, the password is wrong, or it has no private key.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static X509Certificate2 Load(string certificatePath, string? keyPath = null, string? password = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(certificatePath);
        X509Certificate2 loaded;
        if (keyPath is null)
        {
            loaded = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password);
        }
        else
        {
            using var pem = password is null
                ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath);

            // A key from PEM is ephemeral; some platforms' TLS stacks need it in PKCS#12 form.
            loaded = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        if (!loaded.HasPrivateKey)
        {
            loaded.Dispose();
            throw new CryptographicException($"{certificatePath} holds no private key; a server needs one to speak TLS.");
        }

        return loaded;
    }

    /// <summary>
    /// Makes a self-signed ECDSA P-256 certificate valid from a minute ago (clock skew) for <paramref name="lifetime"/>:
    /// what a client presents to its peers, pinned by its <see cref="GetPin"/> rather than trusted through a CA.
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(string subjectName, TimeSpan lifetime, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subjectName);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "The lifetime must be positive.");
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subjectName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = timeProvider.GetUtcNow();
        using var created = request.CreateSelfSigned(now.AddMinutes(-1), now + lifetime);

        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The certificate's pin: the SHA-256 of its DER encoding, as 64 lower-case hex digits.</summary>
    public static string GetPin(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));
    }

    /// <summary>
    /// Reads a pin as people write it: 64 hex digits in any case, optionally in pairs separated by colons (as
    /// <c>openssl x509 -fingerprint -sha256</c> prints it). Returns the lower-case form, or null when it is not a SHA-256 pin.
    /// </summary>
    public static string? NormalizePin(string? pin)
    {
        if (pin is null)
        {
            return null;
        }

        var digits = pin.Trim().Replace(":", string.Empty, StringComparison.Ordinal);
        if (digits.Length != 64 || !digits.All(char.IsAsciiHexDigit))
        {
            return null;
        }

        return digits.ToLower(CultureInfo.InvariantCulture);
    }

    /// <summary>Whether <paramref name="certificate"/> matches <paramref name="pin"/> (normalised) and is valid at <paramref name="now"/>. Compared in constant time.</summary>
    internal static bool MatchesPin(X509Certificate? certificate, string pin, DateTimeOffset now)
    {
        if (certificate is null)
        {
            return false;
        }

        var actual = Convert.FromHexString(GetPin(certificate));
        var expected = Convert.FromHexString(pin);
        if (!CryptographicOperations.FixedTimeEquals(actual, expected))
        {
            return false;
        }

        // A pinned certificate is trusted for what it is, not forever: an expired one is refused like any other.
        using var parsed = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return now >= parsed.NotBefore.ToUniversalTime() && now <= parsed.NotAfter.ToUniversalTime();
    }
}
