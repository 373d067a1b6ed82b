using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace ChatRoom.Tls;

/// <summary>What every ChatRoom TLS connection agrees on, server link and peer link alike.</summary>
internal static class TlsProtocols
{
    /// <summary>TLS 1.2 and 1.3 only: older versions have known weaknesses and no client we support needs them.</summary>
    public const SslProtocols Allowed = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>The first byte of a TLS record carrying a handshake; anything else on a TLS port is not a TLS client.</summary>
    public const byte HandshakeRecord = 0x16;

    /// <summary>The <c>bye</c> reason a TLS server gives, in plain text, to a client that does not start a TLS handshake.</summary>
    public const string RequiredByeReason = "tls-required";

    /// <summary>Server-side options for <paramref name="certificate"/>; no client certificate is asked for (users log in with passwords).</summary>
    public static SslServerAuthenticationOptions Server(SslStreamCertificateContext certificate) => new()
    {
        ServerCertificateContext = certificate,
        EnabledSslProtocols = Allowed,
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    /// <summary>Client-side options that accept the server only when <paramref name="verify"/> says so.</summary>
    public static SslClientAuthenticationOptions Client(string targetHost, RemoteCertificateValidationCallback verify) => new()
    {
        TargetHost = targetHost,
        EnabledSslProtocols = Allowed,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = verify,
    };
}
