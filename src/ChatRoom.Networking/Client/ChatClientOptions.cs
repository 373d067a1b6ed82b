using System.Net;
using ChatRoom.Sessions;

namespace ChatRoom.Client;

/// <summary>Settings of a <see cref="ChatClient"/>. Use <c>with</c> to derive variations.</summary>
public sealed record ChatClientOptions
{
    // A cluster has a handful of nodes; a longer list is a mistake (a pasted file), and each entry costs a connect timeout.
    private const int MaxServers = 64;

    /// <summary>The server's host name or address, when <see cref="Servers"/> is empty. Default <c>localhost</c>.</summary>
    public string Host { get; init; } = "localhost";

    /// <summary>The server's port, when <see cref="Servers"/> is empty. Default 5566.</summary>
    public int Port { get; init; } = 5566;

    /// <summary>
    /// Several servers (nodes of one cluster) to connect to, instead of <see cref="Host"/> and <see cref="Port"/>. A connect
    /// tries them in the order given, each within <see cref="ConnectTimeout"/>, and takes the first that greets; a reconnect
    /// (see <see cref="Reconnect"/>) starts with another one than the server just lost. Order the list to spread clients
    /// (a load balancer in front of the nodes needs one address). Default empty: the one server at <see cref="Host"/>:<see cref="Port"/>.
    /// </summary>
    public IReadOnlyList<DnsEndPoint> Servers { get; init; } = [];

    /// <summary>
    /// Whether, and how, to reconnect after the connection to a logged-in session is lost (the network, a node that died,
    /// <c>bye shutdown</c> or <c>bye expired</c>): the client logs in again with the same credentials, at another of
    /// <see cref="Servers"/> where there are several, and carries on as the same <see cref="IChatClient"/>. Default null:
    /// no reconnecting, so <see cref="IChatClient.Notices"/> ends at the first lost connection, as it always has.
    /// </summary>
    public ChatClientReconnectOptions? Reconnect { get; init; }

    /// <summary>How often to send heartbeats after login; null follows the interval the server announces. Default null.</summary>
    public TimeSpan? HeartbeatInterval { get; init; }

    /// <summary>How long to wait for the connection, and then for the server's greeting. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the answer to a command. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The port this client accepts peer-to-peer connections on, told to the server at login; null for none.</summary>
    public int? PeerPort { get; init; }

    /// <summary>The address peers should connect to, told to the server at login with <see cref="PeerPort"/>; null lets the server use the address it sees.</summary>
    public string? PeerAddress { get; init; }

    /// <summary>Longest line accepted from the server, in bytes. Default 65536.</summary>
    public int MaxLineBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Whether the client acknowledges a direct message by itself, at the moment <see cref="IChatClient.Notices"/> hands it to
    /// the application. Default true. Set false to acknowledge with <see cref="IChatClient.Acknowledge(MessageNotice)"/> once
    /// the application has done with it (written it down, shown it): until then the server keeps it, and hands it over again
    /// at the next login if this client goes away. The server sends further messages only as earlier ones are acknowledged,
    /// so an application that never acknowledges soon stops receiving direct messages.
    /// </summary>
    public bool AutoAcknowledge { get; init; } = true;

    /// <summary>
    /// How many notices may wait for the application to take them from <see cref="IChatClient.Notices"/>. Default 4096, well
    /// above the server's window of unacknowledged messages. When it is full the client stops reading from the server (TCP
    /// pushes back; the server may disconnect a reader that slow), so replies to commands wait too: keep reading.
    /// </summary>
    public int NoticeBufferCapacity { get; init; } = 4096;

    /// <summary>Ids of messages already shown, shared across reconnects so a message handed over again is shown once; null for a fresh log per client.</summary>
    public SeenMessageIds? SeenMessages { get; init; }

    /// <summary>
    /// Whether to speak TLS to the server, verifying its certificate against the system's trusted roots and
    /// <see cref="Host"/>. Default false (plain TCP, the server's default). Setting <see cref="TlsCaCertificatePath"/>,
    /// <see cref="TlsPin"/> or <see cref="TlsAllowUntrusted"/> turns TLS on too, with that check instead.
    /// </summary>
    public bool UseTls { get; init; }

    /// <summary>A CA certificate file (PEM, one or more certificates, or DER): the server's certificate must chain to it and match <see cref="Host"/>. Default null.</summary>
    public string? TlsCaCertificatePath { get; init; }

    /// <summary>
    /// The SHA-256 pin of the server's certificate (64 hex digits, colons allowed): only that certificate, while it is
    /// valid, is accepted, whatever its issuer or name. Default null.
    /// </summary>
    public string? TlsPin { get; init; }

    /// <summary>Accepts any server certificate: encryption without authentication, for local tests only. Default false.</summary>
    public bool TlsAllowUntrusted { get; init; }

    /// <summary>The port this client's peer listener proves with a certificate of this pin (see <see cref="ChatRoom.Peer.PeerListener.CertificatePin"/>); told to the server at login with <see cref="PeerPort"/>, so requesters can verify it. Default null.</summary>
    public string? PeerPin { get; init; }

    /// <summary>Whether the connection to the server uses TLS.</summary>
    public bool TlsEnabled => UseTls || TlsCaCertificatePath is not null || TlsPin is not null || TlsAllowUntrusted;

    /// <summary>The clock for heartbeats and timeouts. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The servers a connect tries, in order: <see cref="Servers"/>, or else <see cref="Host"/>:<see cref="Port"/>.</summary>
    /// <exception cref="ArgumentException">The host is empty or the port out of range.</exception>
    public IReadOnlyList<DnsEndPoint> GetServers() => Servers is { Count: > 0 } servers ? servers : [new DnsEndPoint(Host, Port)];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException($"{nameof(Host)} is required.", nameof(Host));
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"{nameof(Port)} must be from 1 to 65535 (was {Port}).", nameof(Port));
        }

        ArgumentNullException.ThrowIfNull(Servers);
        foreach (var server in Servers)
        {
            if (server is null || string.IsNullOrWhiteSpace(server.Host) || server.Port is < 1 or > 65535)
            {
                throw new ArgumentException($"{nameof(Servers)}: each needs a host and a port from 1 to 65535 (was '{server}').", nameof(Servers));
            }
        }

        if (Servers.Count > MaxServers)
        {
            throw new ArgumentException($"{nameof(Servers)}: at most {MaxServers} (was {Servers.Count}).", nameof(Servers));
        }

        Reconnect?.Validate();

        if (HeartbeatInterval is { } beat && beat <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(HeartbeatInterval)} must be greater than zero.", nameof(HeartbeatInterval));
        }

        if (ConnectTimeout <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(ConnectTimeout)} and {nameof(RequestTimeout)} must be greater than zero.");
        }

        if (PeerPort is < 1 or > 65535)
        {
            throw new ArgumentException($"{nameof(PeerPort)} must be from 1 to 65535 (was {PeerPort}).", nameof(PeerPort));
        }

        if (PeerAddress is not null && (PeerPort is null || !System.Net.IPAddress.TryParse(PeerAddress, out _)))
        {
            throw new ArgumentException($"{nameof(PeerAddress)} must be an IP address and needs {nameof(PeerPort)}.", nameof(PeerAddress));
        }

        if (MaxLineBytes < 1024)
        {
            throw new ArgumentException($"{nameof(MaxLineBytes)} must be at least 1024.", nameof(MaxLineBytes));
        }

        if (NoticeBufferCapacity < 1)
        {
            throw new ArgumentException($"{nameof(NoticeBufferCapacity)} must be at least 1 (was {NoticeBufferCapacity}).", nameof(NoticeBufferCapacity));
        }

        if ((TlsCaCertificatePath is not null ? 1 : 0) + (TlsPin is not null ? 1 : 0) + (TlsAllowUntrusted ? 1 : 0) > 1)
        {
            throw new ArgumentException($"Choose one way to check the server: {nameof(TlsCaCertificatePath)}, {nameof(TlsPin)} or {nameof(TlsAllowUntrusted)}.");
        }

        if (TlsPin is not null && Tls.TlsCertificates.NormalizePin(TlsPin) is null)
        {
            throw new ArgumentException($"{nameof(TlsPin)} must be a SHA-256 pin: 64 hex digits (was '{TlsPin}').", nameof(TlsPin));
        }

        if (TlsCaCertificatePath is not null && !File.Exists(TlsCaCertificatePath))
        {
            throw new ArgumentException($"{nameof(TlsCaCertificatePath)}: no such file '{TlsCaCertificatePath}'.", nameof(TlsCaCertificatePath));
        }

        if (PeerPin is not null && (PeerPort is null || Tls.TlsCertificates.NormalizePin(PeerPin) is null))
        {
            throw new ArgumentException($"{nameof(PeerPin)} must be a SHA-256 pin (64 hex digits) and needs {nameof(PeerPort)}.", nameof(PeerPin));
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
