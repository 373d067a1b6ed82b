using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ChatRoom.Client;

namespace ChatRoom.Tls;

/// <summary>How a client decides to trust the server's certificate, from <see cref="ChatClientOptions"/>.</summary>
internal static class ServerCertificateCheck
{
    /// <summary>The check <paramref name="options"/> ask for: a pin, a CA file, anything (insecure), or the system store.</summary>
    /// <exception cref="CryptographicException">The CA file cannot be read.</exception>
    public static RemoteCertificateValidationCallback For(ChatClientOptions options)
    {
        if (options.TlsAllowUntrusted)
        {
#pragma warning disable CA5359 // Asked for by name (TlsAllowUntrusted, --tls-insecure), for local tests; the console client warns at every start.
            return static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        if (TlsCertificates.NormalizePin(options.TlsPin) is { } pin)
        {
            var time = options.TimeProvider;
            return (_, certificate, _, _) => TlsCertificates.MatchesPin(certificate, pin, time.GetUtcNow());
        }

        if (options.TlsCaCertificatePath is { } path)
        {
            var authorities = LoadAuthorities(path);
            return (_, certificate, _, errors) => ChainsTo(certificate, errors, authorities);
        }

        return static (_, _, _, errors) => errors == SslPolicyErrors.None;
    }

    /// <summary>Reads the CA certificates of a PEM file (one or more) or a DER file.</summary>
    public static X509Certificate2Collection LoadAuthorities(string path)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (CryptographicException)
        {
            // Not PEM: try DER below.
        }

        if (authorities.Count == 0)
        {
            authorities.Add(X509CertificateLoader.LoadCertificateFromFile(path));
        }

        return authorities;
    }

    private static bool ChainsTo(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        // The name must still match; only the trust anchor is replaced.
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
