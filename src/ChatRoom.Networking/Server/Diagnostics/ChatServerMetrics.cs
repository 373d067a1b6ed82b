using System.Diagnostics.Metrics;
using ChatRoom.Auth;
using ChatRoom.Messaging;
using ChatRoom.Presence;
using ChatRoom.Sessions;

namespace ChatRoom.Server.Diagnostics;

/// <summary>Why a connection was refused before it could speak the protocol.</summary>
internal enum ConnectionRefusal
{
    /// <summary>The server holds <see cref="ChatServerOptions.MaxConnections"/> already.</summary>
    ServerFull,

    /// <summary>The address holds <see cref="ChatServerOptions.MaxConnectionsPerAddress"/> already.</summary>
    AddressLimit,

    /// <summary>The server speaks TLS and the client spoke plain text (or nothing) instead.</summary>
    TlsRequired,

    /// <summary>The TLS handshake failed.</summary>
    TlsFailed,
}

/// <summary>Why the server cut a connection it had admitted.</summary>
internal enum ConnectionDrop
{
    /// <summary>No login within <see cref="ChatServerOptions.LoginTimeout"/>.</summary>
    LoginTimeout,

    /// <summary>Kept sending past the rate limit's refusals.</summary>
    Flooding,

    /// <summary>Its outbound queue filled: it does not read.</summary>
    SlowReader,

    /// <summary>No heartbeat within the timeout.</summary>
    HeartbeatExpired,

    /// <summary>The same user logged in elsewhere.</summary>
    Displaced,
}

/// <summary>
/// The server's instruments, on the meter <see cref="MeterName"/> (docs/perf/metrics.md lists them). Every method is
/// lock-free and allocates nothing: a counter add with no tag or with one or two prebuilt tags. Queue depth is not
/// counted per notice at all; it is summed over the open connections when a listener asks.
/// </summary>
internal sealed class ChatServerMetrics : IDisposable
{
    /// <summary>The meter's name, for <c>dotnet-counters --counters</c> or an OpenTelemetry <c>AddMeter</c>.</summary>
    public const string MeterName = "ChatRoom.Server";

    private static readonly KeyValuePair<string, object?>[] s_refusals =
        [Reason("server_full"), Reason("address_limit"), Reason("tls_required"), Reason("tls_failed")];

    private static readonly KeyValuePair<string, object?>[] s_drops =
        [Reason("login_timeout"), Reason("flooding"), Reason("slow_reader"), Reason("heartbeat_expired"), Reason("displaced")];

    private static readonly KeyValuePair<string, object?> s_direct = Kind("direct");
    private static readonly KeyValuePair<string, object?> s_broadcast = Kind("broadcast");
    private static readonly KeyValuePair<string, object?> s_offline = Kind("offline");
    private static readonly KeyValuePair<string, object?> s_presence = Kind("presence");
    private static readonly KeyValuePair<string, object?> s_consent = Kind("consent");
    private static readonly KeyValuePair<string, object?> s_accepted = new("result", "accepted");
    private static readonly KeyValuePair<string, object?> s_refused = new("result", "refused");
    private static readonly KeyValuePair<string, object?> s_commandLimit = new("limit", "command");
    private static readonly KeyValuePair<string, object?> s_messageLimit = new("limit", "message");
    private static readonly KeyValuePair<string, object?> s_loginSuccess = Result("success");
    private static readonly KeyValuePair<string, object?> s_loginInvalid = Result("invalid");
    private static readonly KeyValuePair<string, object?> s_loginLocked = Result("locked");
    private static readonly KeyValuePair<string, object?> s_loginRetryLater = Result("retry_later");
    private static readonly KeyValuePair<string, object?> s_loginAddressLocked = Result("address_locked");
    private static readonly KeyValuePair<string, object?> s_loginUnavailable = Result("unavailable");

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly UpDownCounter<long> _open;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _logins;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _acknowledged;
    private Func<long>? _queuedTotal;
    private Func<long>? _queuedDeepest;

    /// <summary>
    /// Creates the instruments on a meter from <paramref name="meterFactory"/> (the host's, so a test or a second host in
    /// the process sees only its own), or, without one, on a meter of this instance's own.
    /// </summary>
    public ChatServerMetrics(IMeterFactory? meterFactory, Func<int>? sessions = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _open = _meter.CreateUpDownCounter<long>("chatroom.connections", "{connection}",
            "Connections open now: admitted and not yet closed.");
        _accepted = _meter.CreateCounter<long>("chatroom.connections.accepted", "{connection}",
            "Connections admitted past the connection caps.");
        _refused = _meter.CreateCounter<long>("chatroom.connections.refused", "{connection}",
            "Connections refused before the protocol began, by reason.");
        _dropped = _meter.CreateCounter<long>("chatroom.connections.dropped", "{connection}",
            "Admitted connections the server cut, by reason.");
        _rateLimited = _meter.CreateCounter<long>("chatroom.lines.rate_limited", "{line}",
            "Lines refused by a connection's rate limit, by the limit that refused them.");
        _logins = _meter.CreateCounter<long>("chatroom.logins", "{login}",
            "Login attempts, by result.");
        _received = _meter.CreateCounter<long>("chatroom.messages.received", "{message}",
            "Messages and broadcasts sent by clients, by kind and by whether the server accepted them.");
        _sent = _meter.CreateCounter<long>("chatroom.messages.sent", "{message}",
            "Messages, presence and consent notices written to clients, by kind (a broadcast counts once per recipient).");
        _acknowledged = _meter.CreateCounter<long>("chatroom.messages.acknowledged", "{message}",
            "Message ids clients acknowledged.");
        if (sessions is not null)
        {
            _meter.CreateObservableUpDownCounter("chatroom.sessions", () => (long)sessions(), "{session}",
                "Sessions logged in now.");
        }

        _meter.CreateObservableGauge("chatroom.outbound.queued", () => Observe(_queuedTotal), "{notice}",
            "Lines queued for clients and not yet written, summed over the open connections.");
        _meter.CreateObservableGauge("chatroom.outbound.queued.max", () => Observe(_queuedDeepest), "{notice}",
            "Lines queued for the one connection with the longest queue.");
    }

    /// <summary>The meter the instruments are on.</summary>
    public Meter Meter => _meter;

    /// <summary>Lets the queue gauges read the server's connections: a sum and a maximum, taken only when a listener asks.</summary>
    public void ObserveOutbound(Func<long> total, Func<long> deepest)
    {
        _queuedTotal = total;
        _queuedDeepest = deepest;
    }

    /// <summary>A connection was admitted.</summary>
    public void ConnectionOpened()
    {
        _accepted.Add(1);
        _open.Add(1);
    }

    /// <summary>An admitted connection closed.</summary>
    public void ConnectionClosed() => _open.Add(-1);

    /// <summary>A connection was refused before the protocol began.</summary>
    public void ConnectionRefused(ConnectionRefusal reason) => _refused.Add(1, s_refusals[(int)reason]);

    /// <summary>The server is cutting an admitted connection.</summary>
    public void ConnectionDropped(ConnectionDrop reason) => _dropped.Add(1, s_drops[(int)reason]);

    /// <summary>The core ended a session for <paramref name="reason"/>; an expiry or a takeover cuts its connection.</summary>
    public void SessionEnded(LogoutReason reason)
    {
        if (reason is LogoutReason.Expired or LogoutReason.Displaced)
        {
            ConnectionDropped(reason == LogoutReason.Expired ? ConnectionDrop.HeartbeatExpired : ConnectionDrop.Displaced);
        }
    }

    /// <summary>A line was refused by the rate limit named <paramref name="limit"/> (<c>command</c> or <c>message</c>).</summary>
    public void RateLimited(string limit) => _rateLimited.Add(1, limit == "message" ? s_messageLimit : s_commandLimit);

    /// <summary>A login attempt ended with <paramref name="result"/>.</summary>
    public void Login(LoginResult result) => _logins.Add(1, result switch
    {
        LoginSuccess => s_loginSuccess,
        LoginInvalid => s_loginInvalid,
        LoginLocked => s_loginLocked,
        LoginRetryLater => s_loginRetryLater,
        LoginAddressLocked => s_loginAddressLocked,
        _ => s_loginUnavailable,
    });

    /// <summary>A client's message (or broadcast) reached the router, which took it or refused it.</summary>
    public void MessageReceived(MessageKind kind, bool accepted)
        => _received.Add(1, kind == MessageKind.Broadcast ? s_broadcast : s_direct, accepted ? s_accepted : s_refused);

    /// <summary>Acknowledgements for <paramref name="count"/> message ids arrived.</summary>
    public void Acknowledged(int count) => _acknowledged.Add(count);

    /// <summary><paramref name="notice"/> is being written to a client; counted when it is a message or a notice about others.</summary>
    public void Written(SessionNotice notice)
    {
        if (!_sent.Enabled)
        {
            return;
        }

        var kind = notice switch
        {
            MessageNotice { FromOfflineStore: true } => s_offline,
            MessageNotice { Message.Kind: MessageKind.Broadcast } => s_broadcast,
            MessageNotice => s_direct,
            PresenceNotice => s_presence,
            ConsentRequestNotice or AddressGrantedNotice or ConsentConfirmedNotice or ConsentRefusedNotice => s_consent,
            _ => default,
        };
        if (kind.Key is not null)
        {
            _sent.Add(1, kind);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // A factory's meter is the factory's to dispose.
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static IEnumerable<Measurement<long>> Observe(Func<long>? sample)
        => sample is null ? [] : [new Measurement<long>(sample())];

    private static KeyValuePair<string, object?> Reason(string reason) => new("reason", reason);

    private static KeyValuePair<string, object?> Kind(string kind) => new("kind", kind);

    private static KeyValuePair<string, object?> Result(string result) => new("result", result);
}
