using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ChatRoom.Tls;
using Microsoft.Extensions.Options;

namespace ChatRoom.Server;

/// <summary>Settings of the TCP server. Validated at start by <see cref="ChatServerOptionsValidator"/>.</summary>
public sealed class ChatServerOptions
{
    /// <summary>The address to listen on. Default <see cref="IPAddress.Any"/>.</summary>
    public IPAddress Address { get; set; } = IPAddress.Any;

    /// <summary>The TCP port; 0 picks a free one (see <see cref="ChatServer.LocalEndPoint"/>). Default 5566.</summary>
    public int Port { get; set; } = 5566;

    /// <summary>The name in the greeting. Default <c>ChatRoom</c>.</summary>
    public string ServerName { get; set; } = "ChatRoom";

    /// <summary>Longest line a client may send, in bytes, newline excluded. Default 8192 (8 KiB).</summary>
    public int MaxLineBytes { get; set; } = 8192;

    /// <summary>
    /// Lines that may wait to be sent to one client; a client that lets it fill is disconnected. Default 1024. Direct
    /// messages never fill it on their own (at most <see cref="ChatRoomOptions.DeliveryWindow"/> are out unacknowledged);
    /// what fills it is a client that stops reading while replies, presence and broadcasts keep coming.
    /// </summary>
    public int OutboundQueueCapacity { get; set; } = 1024;

    /// <summary>Connections the operating system may queue before the server accepts them. Default 512: a burst of logins.</summary>
    public int ListenBacklog { get; set; } = 512;

    /// <summary>
    /// The heartbeat interval announced to clients. Default null: 30 s, or less when the core's
    /// <see cref="ChatRoomOptions.HeartbeatTimeout"/> is short, so that two and a half beats fit in the timeout.
    /// </summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    internal TimeSpan EffectiveHeartbeatInterval(ChatRoomOptions core)
        => HeartbeatInterval ?? TimeSpan.FromMilliseconds(Math.Min(30_000, Math.Floor(core.HeartbeatTimeout.TotalMilliseconds / 2.5)));

    /// <summary>How often the sweep looks for silent sessions and for connections past their <see cref="LoginTimeout"/>. Default 1 s.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a graceful stop waits for clients to be told and closed. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The server's TLS certificate with its private key: a PFX file, or a PEM certificate with <see cref="TlsKeyPath"/>.
    /// When set (or <see cref="TlsCertificate"/> is), every client connection speaks TLS 1.2 or 1.3 and nothing else.
    /// Default null: plain TCP, so the server runs with nothing to install.
    /// </summary>
    public string? TlsCertificatePath { get; set; }

    /// <summary>The PEM private key for a PEM <see cref="TlsCertificatePath"/>; null for a PFX. Default null.</summary>
    public string? TlsKeyPath { get; set; }

    /// <summary>The password of the PFX file, or of an encrypted PEM key; null for none. Default null.</summary>
    public string? TlsCertificatePassword { get; set; }

    /// <summary>A certificate with its private key, for hosts that load their own (a store, a vault); used instead of <see cref="TlsCertificatePath"/>. Default null.</summary>
    public X509Certificate2? TlsCertificate { get; set; }

    /// <summary>
    /// How long a client has to complete its TLS handshake, so a connection that never starts one cannot hold a slot. A
    /// client that sends plain text instead is told <c>bye tls-required</c> in plain text and closed. Default 5 s: a
    /// handshake takes milliseconds even on a busy server, and a plaintext client learns why before its own 10 s
    /// greeting timeout.
    /// </summary>
    public TimeSpan TlsHandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether client connections use TLS.</summary>
    public bool TlsEnabled => TlsCertificate is not null || TlsCertificatePath is not null;

    /// <summary>The configured certificate, loaded; null when TLS is off.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">It cannot be read or has no private key.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    internal X509Certificate2? LoadTlsCertificate()
        => TlsCertificate ?? (TlsCertificatePath is { } path ? TlsCertificates.Load(path, TlsKeyPath, TlsCertificatePassword) : null);

    /// <summary>
    /// How long a connection may stay without a successful login; then it is told (<c>bye login-timeout</c>) and closed,
    /// so connections that never log in (slowloris, half a line then silence) cannot pile up. Default 30 s: a person at
    /// the prompt, or a program that logs in at once even while thousands of others do (the load tests log in 100 at a
    /// time), needs far less. Checked by the sweep (no timer per connection), so kept to within <see cref="SweepInterval"/>.
    /// </summary>
    public TimeSpan LoginTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Connections open at once, in total; the next is refused with <c>error too-many-connections server</c> and closed
    /// before any other work. Default 20,000: twice the 10,000 idle logged-in clients the load tests hold, and within
    /// what one process's file handles allow on a typical host. At start it is lowered, if need be, to the process's
    /// open-file limit less 256 handles kept for the runtime, the data file and refusals: out of file handles, the
    /// runtime itself fails.
    /// </summary>
    public int MaxConnections { get; set; } = 20_000;

    /// <summary>
    /// Connections open at once from one IP address (IPv4-mapped IPv6 counts as IPv4); the next is refused with
    /// <c>error too-many-connections address</c> and closed. Default 2,000: the load tests open 1,001 from one address
    /// (a broadcaster and 1,000 receivers), and people behind one NAT share an address; low enough that one address
    /// cannot take the whole <see cref="MaxConnections"/>.
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = 2_000;

    /// <summary>
    /// Messages (<c>message</c>, which also carries private messages relayed through the server, and <c>broadcast</c>)
    /// one connection may send per second, as a token bucket holding one second's worth, so short bursts pass. The excess
    /// is refused with <c>error rate-limited &lt;retry-after-ms&gt;</c>, never queued. Default 20,000: the load tests push
    /// several thousand messages a second from one sender as fast as replies allow, and must run unthrottled. A server
    /// for people only can set it far lower (a person types a few a second).
    /// </summary>
    public int MessagesPerSecond { get; set; } = 20_000;

    /// <summary>
    /// Lines of any kind (every command, acknowledgements and bad lines included) one connection may send per second, as
    /// a token bucket holding one second's worth. The excess is refused with <c>error rate-limited &lt;retry-after-ms&gt;</c>;
    /// a refused <c>ack</c> leaves its messages unacknowledged (sent again at the next login, never lost). Default 40,000:
    /// twice <see cref="MessagesPerSecond"/>, room for the acknowledgements and heartbeats beside a full message rate.
    /// </summary>
    public int CommandsPerSecond { get; set; } = 40_000;

    /// <summary>
    /// Lines refused by the rate limits that a connection may send within 10 s (a bucket of this many, refilled over
    /// 10 s); one more and it is told (<c>bye flooding</c>) and disconnected, so a flooder that ignores the refusals
    /// stops costing the server even the refusals. Default 1,000: far more than a client that backs off when told ever
    /// reaches.
    /// </summary>
    public int MaxRefusedLines { get; set; } = 1_000;
}

/// <summary>Checks <see cref="ChatServerOptions"/> against itself and against the core's heartbeat timeout.</summary>
public sealed class ChatServerOptionsValidator : IValidateOptions<ChatServerOptions>
{
    private readonly IOptionsMonitor<ChatRoomOptions> _core;

    /// <summary>Creates the validator.</summary>
    public ChatServerOptionsValidator(IOptionsMonitor<ChatRoomOptions> core) => _core = core;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ChatServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Address is null)
        {
            failures.Add($"{nameof(ChatServerOptions.Address)} is required.");
        }

        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"{nameof(ChatServerOptions.Port)} must be from 0 to 65535 (was {options.Port}).");
        }

        if (string.IsNullOrWhiteSpace(options.ServerName) || options.ServerName.Any(char.IsWhiteSpace))
        {
            failures.Add($"{nameof(ChatServerOptions.ServerName)} must be one word.");
        }

        if (options.MaxLineBytes < 256)
        {
            failures.Add($"{nameof(ChatServerOptions.MaxLineBytes)} must be at least 256 (was {options.MaxLineBytes}).");
        }

        if (options.OutboundQueueCapacity < 16)
        {
            failures.Add($"{nameof(ChatServerOptions.OutboundQueueCapacity)} must be at least 16 (was {options.OutboundQueueCapacity}).");
        }

        if (options.OutboundQueueCapacity <= _core.CurrentValue.DeliveryWindow)
        {
            failures.Add($"{nameof(ChatServerOptions.OutboundQueueCapacity)} ({options.OutboundQueueCapacity}) must be larger than {nameof(ChatRoomOptions.DeliveryWindow)} ({_core.CurrentValue.DeliveryWindow}), or a full window would cut a client that reads.");
        }

        if (options.ListenBacklog < 1)
        {
            failures.Add($"{nameof(ChatServerOptions.ListenBacklog)} must be at least 1 (was {options.ListenBacklog}).");
        }

        if (options.HeartbeatInterval is { } beat && beat < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"{nameof(ChatServerOptions.HeartbeatInterval)} must be at least 0.1 s (was {beat}).");
        }
        else if (options.HeartbeatInterval >= _core.CurrentValue.HeartbeatTimeout)
        {
            failures.Add($"{nameof(ChatServerOptions.HeartbeatInterval)} ({options.HeartbeatInterval}) must be shorter than {nameof(ChatRoomOptions.HeartbeatTimeout)} ({_core.CurrentValue.HeartbeatTimeout}).");
        }

        if (options.SweepInterval <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(ChatServerOptions.SweepInterval)} must be greater than zero.");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero)
        {
            failures.Add($"{nameof(ChatServerOptions.ShutdownTimeout)} must not be negative.");
        }

        ValidateTls(options, failures);
        if (options.LoginTimeout < TimeSpan.FromMilliseconds(100) || options.LoginTimeout > TimeSpan.FromDays(1))
        {
            failures.Add($"{nameof(ChatServerOptions.LoginTimeout)} must be from 0.1 s to 1 day (was {options.LoginTimeout}).");
        }

        if (options.MaxConnections < 1)
        {
            failures.Add($"{nameof(ChatServerOptions.MaxConnections)} must be at least 1 (was {options.MaxConnections}).");
        }

        if (options.MaxConnectionsPerAddress < 1 || options.MaxConnectionsPerAddress > options.MaxConnections)
        {
            failures.Add($"{nameof(ChatServerOptions.MaxConnectionsPerAddress)} must be from 1 to {nameof(ChatServerOptions.MaxConnections)} ({options.MaxConnections}) (was {options.MaxConnectionsPerAddress}).");
        }

        if (options.MessagesPerSecond < 1)
        {
            failures.Add($"{nameof(ChatServerOptions.MessagesPerSecond)} must be at least 1 (was {options.MessagesPerSecond}).");
        }

        if (options.CommandsPerSecond < options.MessagesPerSecond)
        {
            failures.Add($"{nameof(ChatServerOptions.CommandsPerSecond)} ({options.CommandsPerSecond}) must be at least {nameof(ChatServerOptions.MessagesPerSecond)} ({options.MessagesPerSecond}): every message is also a command.");
        }

        if (options.MaxRefusedLines < 1)
        {
            failures.Add($"{nameof(ChatServerOptions.MaxRefusedLines)} must be at least 1 (was {options.MaxRefusedLines}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // The certificate is loaded here, so a wrong path, password or key stops the start with a line naming the option.
    private static void ValidateTls(ChatServerOptions options, List<string> failures)
    {
        if (options.TlsHandshakeTimeout <= TimeSpan.Zero || options.TlsHandshakeTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{nameof(ChatServerOptions.TlsHandshakeTimeout)} must be more than 0 and at most 5 minutes (was {options.TlsHandshakeTimeout}).");
        }

        if (options.TlsCertificatePath is null && (options.TlsKeyPath is not null || options.TlsCertificatePassword is not null))
        {
            failures.Add($"{nameof(ChatServerOptions.TlsKeyPath)} and {nameof(ChatServerOptions.TlsCertificatePassword)} need {nameof(ChatServerOptions.TlsCertificatePath)}.");
            return;
        }

        if (options.TlsCertificate is { HasPrivateKey: false })
        {
            failures.Add($"{nameof(ChatServerOptions.TlsCertificate)} has no private key; a server needs one to speak TLS.");
            return;
        }

        if (options.TlsCertificate is not null || options.TlsCertificatePath is not { } path)
        {
            return;
        }

        try
        {
            using var certificate = options.LoadTlsCertificate();
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            failures.Add($"{nameof(ChatServerOptions.TlsCertificatePath)} '{path}' cannot be used: {ex.Message}");
        }
    }
}
