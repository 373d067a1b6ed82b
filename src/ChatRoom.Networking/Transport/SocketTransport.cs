using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ChatRoom.Protocol;
using ChatRoom.Server;
using ChatRoom.Server.Diagnostics;
using ChatRoom.Sessions;
using ChatRoom.Tls;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatRoom.Transport;

/// <summary>TCP sockets, with TLS on every connection when the options name a certificate: the server's default transport.</summary>
internal sealed class SocketTransport(IOptions<ChatServerOptions> options, TimeProvider time, ILogger<SocketTransport> logger, ChatServerMetrics? metrics = null)
    : IConnectionListenerFactory
{
    public ValueTask<IConnectionListener> BindAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        ServerTls? tls = null;
        try
        {
            if (settings.LoadTlsCertificate() is { } certificate)
            {
                // Only a certificate we loaded is ours to dispose; one handed to us in the options stays the host's.
                tls = new ServerTls(certificate, ownsCertificate: settings.TlsCertificate is null, settings.TlsHandshakeTimeout, time, logger, metrics);
            }

            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
            socket.Listen(settings.ListenBacklog);
        }
        catch
        {
            socket.Dispose();
            tls?.Dispose();
            throw;
        }

        return ValueTask.FromResult<IConnectionListener>(new Listener(socket, tls, time, logger));
    }

    private sealed class Listener(Socket socket, ServerTls? tls, TimeProvider time, ILogger logger) : IConnectionListener
    {
        private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(10);
        private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(1);

        public IPEndPoint EndPoint { get; } = (IPEndPoint)socket.LocalEndPoint!;

        public async ValueTask<TransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            var pause = TimeSpan.Zero;
            while (true)
            {
                try
                {
                    var accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
                    accepted.NoDelay = true;
                    return new SocketConnection(accepted, tls);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
                {
                    return null;
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
                {
                    // A client that resets before we accept it is no reason to stop serving the others.
                    ServerLog.AcceptReset(logger, ex.SocketErrorCode);
                }
                catch (SocketException ex)
                {
                    // Out of file handles or buffers: retrying at once would spin and log without end. Pause, doubling up
                    // to a second, and say so once per pause; connections already open go on, and closing ones frees room.
                    pause = pause == TimeSpan.Zero ? FirstPause : TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
                    if (pause == LongestPause || pause == FirstPause)
                    {
                        ServerLog.AcceptFailed(logger, ex.SocketErrorCode, pause.TotalMilliseconds);
                    }

                    try
                    {
                        await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return null;
                    }
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            tls?.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The server's TLS settings, shared by every connection of one listener.</summary>
    private sealed class ServerTls(X509Certificate2 certificate, bool ownsCertificate, TimeSpan handshakeTimeout, TimeProvider time, ILogger logger, ChatServerMetrics? metrics)
        : IDisposable
    {
        // Built once: the certificate context caches the chain, so a handshake does not rebuild it.
        public SslServerAuthenticationOptions Options { get; } = TlsProtocols.Server(SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true));

        public TimeSpan HandshakeTimeout => handshakeTimeout;

        public TimeProvider Time => time;

        public ILogger Logger => logger;

        public ChatServerMetrics? Metrics => metrics;

        // What a plaintext client reads instead of a greeting: the reason, in the protocol's own bye line.
        public static byte[] PlaintextRefusal { get; } = Encoding.UTF8.GetBytes(
            WireFormat.Format(new ByeNotice(TlsProtocols.RequiredByeReason, "this server speaks TLS only; connect with TLS")) + "\n");

        public void Dispose()
        {
            if (ownsCertificate)
            {
                certificate.Dispose();
            }
        }
    }

    private sealed class SocketConnection : TransportConnection, IDuplexPipe
    {
        // Small buffers: most lines are short, and an idle connection should cost little.
        private const int ReadBufferBytes = 4096;
        private const int MinimumReadBytes = 1024;
        private const int WriteBufferBytes = 4096;

        private readonly Socket _socket;
        private readonly Stream _stream;
        private readonly ServerTls? _tls;

        public SocketConnection(Socket socket, ServerTls? tls)
        {
            _socket = socket;
            _tls = tls;
            var network = new NetworkStream(socket, ownsSocket: true);

            // The pipes are made over the TLS stream, so the protocol above never sees the difference.
            _stream = tls is null ? network : new SslStream(network, leaveInnerStreamOpen: false);
            // Zero-byte reads: an idle connection waits for data without holding a rented 4 KiB buffer; one is taken only
            // when bytes have arrived (10,000 idle clients: 40 MB less).
            Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: ReadBufferBytes, minimumReadSize: MinimumReadBytes, leaveOpen: true, useZeroByteReads: true));
            Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: WriteBufferBytes, leaveOpen: true));
            var remote = socket.RemoteEndPoint as IPEndPoint;
            RemoteAddress = Describe(remote?.Address);
            Name = remote is null ? "unknown" : $"{RemoteAddress}:{remote.Port}";
        }

        public override async ValueTask<bool> OpenAsync(CancellationToken cancellationToken)
        {
            if (_tls is null)
            {
                return true;
            }

            using var deadline = new CancellationTokenSource(_tls.HandshakeTimeout, _tls.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
            var first = new byte[1];
            var peeked = 0;
            try
            {
                // Look before the handshake: a plaintext client is told why in words it can read, not cut off mid-handshake.
                peeked = await _socket.ReceiveAsync(first, SocketFlags.Peek, linked.Token).ConfigureAwait(false);
                if (peeked == 0)
                {
                    return false;
                }

                if (first[0] != TlsProtocols.HandshakeRecord)
                {
                    _tls.Metrics?.ConnectionRefused(ConnectionRefusal.TlsRequired);
                    RefusePlaintext();
                    ServerLog.TlsHandshakeFailed(_tls.Logger, Name, "the client spoke plain text");
                    return false;
                }

                await ((SslStream)_stream).AuthenticateAsServerAsync(_tls.Options, linked.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Silent: most likely a plaintext client waiting for our greeting.
                if (peeked == 0)
                {
                    RefusePlaintext();
                }

                _tls.Metrics?.ConnectionRefused(peeked == 0 ? ConnectionRefusal.TlsRequired : ConnectionRefusal.TlsFailed);
                ServerLog.TlsHandshakeFailed(_tls.Logger, Name, "no handshake in time");
                return false;
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                _tls.Metrics?.ConnectionRefused(ConnectionRefusal.TlsFailed);
                ServerLog.TlsHandshakeFailed(_tls.Logger, Name, ex.Message);
                return false;
            }
        }

        private void RefusePlaintext()
        {
            try
            {
                // A few bytes into an empty send buffer: this does not block.
                _socket.Send(ServerTls.PlaintextRefusal);
                _socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }
        }

        public override IDuplexPipe Pipe => this;

        public PipeReader Input { get; }

        public PipeWriter Output { get; }

        public override string RemoteAddress { get; }

        public override string Name { get; }

        public override void CompleteOutput()
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }
        }

        public override async ValueTask DisposeAsync()
        {
            // Close the socket first: completing a pipe writer flushes what is left, which must not wait on a dead peer.
            await _stream.DisposeAsync().ConfigureAwait(false);
            await Input.CompleteAsync().ConfigureAwait(false);
            try
            {
                await Output.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
            {
                // Unsent bytes for a closed connection have nowhere to go.
            }
        }
    }
}
