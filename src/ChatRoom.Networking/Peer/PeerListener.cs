using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using ChatRoom.Client;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Sessions;
using ChatRoom.Tls;

namespace ChatRoom.Peer;

/// <summary>
/// Accepts private chats: listens on a port, admits only a connection that presents a live grant naming its requester, and
/// acknowledges each message once it has been handed on. Messages from users this client has blocked are refused.
/// </summary>
public sealed class PeerListener : IAsyncDisposable
{
    // Connections not yet accepted; peers arrive one chat at a time, so a short queue is plenty.
    private const int ListenBacklog = 64;

    // A sender repeats an id only while retrying one message, so the last few thousand ids catch every repeat.
    private const int RememberedIds = 4096;

    // A peer that connects but does not present its grant in this time is dropped, so it cannot hold a connection open.
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    // Connections from one address that have not yet shown a grant: a real peer needs one; a flood of silent ones
    // from one address would otherwise hold a file handle each for the whole hello deadline.
    internal const int MaxPendingPerAddress = 4;

    private readonly ConcurrentDictionary<string, PeerGrant> _grants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _blocked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<PeerLineConnection, string> _open = new();
    private readonly ConcurrentDictionary<IPAddress, int> _pending = new();
    private readonly Channel<MessageNotice> _messages = Channel.CreateUnbounded<MessageNotice>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SeenMessageIds _seen = new(RememberedIds);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeProvider _time;
    private readonly Socket _listener;
    private readonly SslServerAuthenticationOptions? _tls;
    private Task _accepting = Task.CompletedTask;
    private int _disposed;

    /// <summary>Binds to <paramref name="address"/> and <paramref name="port"/> (0 for a free port) and starts accepting plain TCP.</summary>
    /// <exception cref="SocketException">The address or port cannot be bound.</exception>
    public PeerListener(IPAddress address, int port, TimeProvider timeProvider)
        : this(address, port, timeProvider, certificate: null)
    {
    }

    /// <summary>
    /// Binds to <paramref name="address"/> and <paramref name="port"/> (0 for a free port) and starts accepting; with a
    /// <paramref name="certificate"/>, every peer must complete a TLS handshake (1.2 or 1.3) within the hello timeout before
    /// it may present its grant. Requesters verify the certificate by its pin (<see cref="CertificatePin"/>), which
    /// travels to them through the server with the grant; <see cref="TlsCertificates.CreateSelfSigned"/> makes a fitting
    /// one. The caller keeps ownership of the certificate.
    /// </summary>
    /// <exception cref="SocketException">The address or port cannot be bound.</exception>
    /// <exception cref="ArgumentException">The certificate has no private key.</exception>
    public PeerListener(IPAddress address, int port, TimeProvider timeProvider, X509Certificate2? certificate)
    {
        ArgumentNullException.ThrowIfNull(address);
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        if (certificate is not null)
        {
            if (!certificate.HasPrivateKey)
            {
                throw new ArgumentException("A peer listener's certificate needs its private key.", nameof(certificate));
            }

            _tls = TlsProtocols.Server(SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true));
            CertificatePin = TlsCertificates.GetPin(certificate);
        }

        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(address, port));
            _listener.Listen(ListenBacklog);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        _accepting = AcceptLoopAsync();
    }

    /// <summary>The port peers connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>The SHA-256 pin of the certificate peers must see (give it to the server at login as <see cref="ChatClientOptions.PeerPin"/>); null for plain TCP.</summary>
    public string? CertificatePin { get; }

    /// <summary>Private messages received, each once (repeats of an id are acknowledged but not shown again).</summary>
    public IAsyncEnumerable<MessageNotice> Messages => _messages.Reader.ReadAllAsync();

    /// <summary>Admits <paramref name="grant"/>'s requester from now until it expires; a newer grant replaces an older one.</summary>
    public void Accept(PeerGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        _grants[grant.Requester] = grant;
    }

    /// <summary>Blocking a user revokes their grant and closes their connections; unblocking lets a new grant in again.</summary>
    public void SetBlocked(string user, bool blocked)
    {
        if (!blocked)
        {
            _blocked.TryRemove(user, out _);
            return;
        }

        _blocked[user] = 0;
        _grants.TryRemove(user, out _);
        foreach (var (connection, from) in _open)
        {
            if (from == user)
            {
                _ = connection.DisposeAsync().AsTask();
            }
        }
    }

    /// <summary>Stops listening and closes every peer connection. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        foreach (var connection in _open.Keys)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _messages.Writer.TryComplete();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        await Task.Yield();
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // Out of handles or buffers: a short pause rather than a spin; a reset client costs only the pause.
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), _time, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            var from = (socket.RemoteEndPoint as IPEndPoint)?.Address is { } address && address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : (socket.RemoteEndPoint as IPEndPoint)?.Address;
            if (from is null || _pending.AddOrUpdate(from, 1, (_, n) => n + 1) > MaxPendingPerAddress)
            {
                if (from is not null)
                {
                    Release(from);
                }

                socket.Dispose();
                continue;
            }

            _ = ServeAsync(socket, from);
        }
    }

    private void Release(IPAddress from)
    {
        // Decrement, removing the entry at zero so the table holds only addresses with connections pending.
        while (_pending.TryGetValue(from, out var n))
        {
            if (n <= 1 ? _pending.TryRemove(new KeyValuePair<IPAddress, int>(from, n)) : _pending.TryUpdate(from, n - 1, n))
            {
                return;
            }
        }
    }

    private async Task ServeAsync(Socket socket, IPAddress from)
    {
        var pending = true;
        socket.NoDelay = true;
        var network = new NetworkStream(socket, ownsSocket: true);
        var tls = _tls is null ? null : new SslStream(network, leaveInnerStreamOpen: false);
        var connection = new PeerLineConnection(tls ?? (Stream)network);
        try
        {
            // One deadline for the handshake and the hello together: a silent peer is dropped either way.
            using var helloTimeout = new CancellationTokenSource(HelloTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(helloTimeout.Token, _stopping.Token);
            if (tls is not null)
            {
                await tls.AuthenticateAsServerAsync(_tls!, linked.Token).ConfigureAwait(false);
            }

            var hello = await connection.ReadLineAsync(linked.Token).ConfigureAwait(false);
            if (!PeerWire.TryParseHello(hello ?? string.Empty, out var user, out var token) || Admit(user, token) is not { } grant)
            {
                await connection.WriteLineAsync("peer-refused :no valid grant for this connection", _stopping.Token).ConfigureAwait(false);
                return;
            }

            Release(from);
            pending = false;
            _open[connection] = grant.Requester;
            await connection.WriteLineAsync("peer-ok", _stopping.Token).ConfigureAwait(false);
            while (await connection.ReadLineAsync(_stopping.Token).ConfigureAwait(false) is { } line)
            {
                if (_blocked.ContainsKey(grant.Requester))
                {
                    await connection.WriteLineAsync("peer-refused :you are blocked", _stopping.Token).ConfigureAwait(false);
                    return;
                }

                if (!PeerWire.TryParseMessage(line, out var id, out var sentAt, out var text))
                {
                    continue;
                }

                if (_seen.TryAdd(id))
                {
                    _messages.Writer.TryWrite(new MessageNotice(new ChatMessage(id, MessageKind.Private, grant.Requester, grant.Target, text, sentAt), FromOfflineStore: false));
                }

                await connection.WriteLineAsync(PeerWire.Ack(id.ToString()), _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or AuthenticationException)
        {
            // The peer went away, sent nothing in time, or failed the TLS handshake; its sender falls back to the server.
        }
        finally
        {
            if (pending)
            {
                Release(from);
            }

            _open.TryRemove(connection, out _);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private PeerGrant? Admit(string requester, string token)
        => !_blocked.ContainsKey(requester) && _grants.TryGetValue(requester, out var grant) && grant.Admits(requester, token, _time.GetUtcNow())
            ? grant
            : null;
}
