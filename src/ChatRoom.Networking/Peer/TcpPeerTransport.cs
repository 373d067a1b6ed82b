using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using ChatRoom.Messaging;
using ChatRoom.Tls;

namespace ChatRoom.Peer;

/// <summary>
/// Sends private messages over TCP, keeping one connection per peer open for further messages. A message counts as
/// delivered only when the peer's acknowledgement for its id has come back.
/// </summary>
public sealed class TcpPeerTransport : IPeerTransport, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Link> _links = new(StringComparer.Ordinal);
    private readonly bool _requireTls;
    private readonly TimeProvider _time;

    /// <summary>A transport that speaks TLS to peers whose route carries a pin (<see cref="PeerRoute.PeerPin"/>) and plain TCP to the others.</summary>
    public TcpPeerTransport()
        : this(requireTls: false, TimeProvider.System)
    {
    }

    /// <summary>
    /// A transport that speaks TLS to peers whose route carries a pin and checks their certificate against it. With
    /// <paramref name="requireTls"/>, a peer without a pin is not contacted at all (the message goes through the server
    /// instead), so a client whose server link is encrypted never sends a private message in the clear.
    /// </summary>
    /// <param name="requireTls">Refuse peers that offer no TLS.</param>
    /// <param name="timeProvider">The clock a pinned certificate's validity is checked against.</param>
    public TcpPeerTransport(bool requireTls, TimeProvider timeProvider)
    {
        _requireTls = requireTls;
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <inheritdoc />
    public async Task SendAsync(PeerRoute route, ChatMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(message);
        var link = _links.GetOrAdd(route.Grant.Target, static _ => new Link());
        await link.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (link.Connection is null || link.Route != route)
            {
                await link.ResetAsync().ConfigureAwait(false);
                link.Connection = await OpenAsync(route, cancellationToken).ConfigureAwait(false);
                link.Route = route;
            }

            var id = message.Id.ToString();
            await link.Connection.WriteLineAsync(PeerWire.Message(id, message.SentAt, message.Text), cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var line = await link.Connection.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new PeerUnavailableException($"{route.Grant.Target} closed the connection before acknowledging");
                var (kind, fields, text) = PeerLineConnection.Split(line);
                if (kind == "pack" && fields.Length == 1 && fields[0] == id)
                {
                    return;
                }

                if (kind == "peer-refused")
                {
                    throw new PeerUnavailableException($"{route.Grant.Target} refused: {text}");
                }
            }
        }
        catch (AuthenticationException ex)
        {
            // A certificate other than the pinned one: someone in between, or a stale route. Nothing was sent.
            await link.ResetAsync().ConfigureAwait(false);
            throw new PeerUnavailableException($"{route.Grant.Target}'s peer port did not prove the certificate the server vouched for: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or PeerUnavailableException)
        {
            await link.ResetAsync().ConfigureAwait(false);
            throw ex as PeerUnavailableException ?? new PeerUnavailableException($"{route.Grant.Target} cannot be reached: {ex.Message}", ex);
        }
        catch (OperationCanceledException)
        {
            // Cut off mid-exchange (usually the attempt timeout): the connection's state is unknown, so start afresh next time.
            await link.ResetAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            link.Gate.Release();
        }
    }

    /// <summary>Closes every peer connection.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var link in _links.Values)
        {
            await link.ResetAsync().ConfigureAwait(false);
        }
    }

    private async Task<PeerLineConnection> OpenAsync(PeerRoute route, CancellationToken cancellationToken)
    {
        if (route.PeerPin is null && _requireTls)
        {
            throw new PeerUnavailableException($"{route.Grant.Target}'s client offers no TLS for private chats");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        PeerLineConnection? connection = null;
        try
        {
            await socket.ConnectAsync(route.Address, route.Port, cancellationToken).ConfigureAwait(false);
            var network = new NetworkStream(socket, ownsSocket: true);
            if (route.PeerPin is { } pin)
            {
                var tls = new SslStream(network, leaveInnerStreamOpen: false);
                connection = new PeerLineConnection(tls);

                // The peer's certificate is self-signed: trust comes from the pin the server handed over with the grant.
                var time = _time;
                await tls.AuthenticateAsClientAsync(
                    TlsProtocols.Client(route.Address, (_, certificate, _, _) => TlsCertificates.MatchesPin(certificate, pin, time.GetUtcNow())),
                    cancellationToken).ConfigureAwait(false);
            }
            else
            {
                connection = new PeerLineConnection(network);
            }

            await connection.WriteLineAsync(PeerWire.Hello(route.Grant.Requester, route.Grant.Token), cancellationToken).ConfigureAwait(false);
            var answer = await connection.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (answer != "peer-ok")
            {
                throw new PeerUnavailableException($"{route.Grant.Target} refused the connection: {PeerLineConnection.Split(answer ?? string.Empty).Text ?? "closed"}");
            }

            return connection;
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    private sealed class Link
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public PeerLineConnection? Connection { get; set; }

        public PeerRoute? Route { get; set; }

        public async Task ResetAsync()
        {
            if (Connection is { } connection)
            {
                Connection = null;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
