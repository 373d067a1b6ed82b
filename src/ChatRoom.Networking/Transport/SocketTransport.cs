using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using ChatRoom.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatRoom.Transport;

/// <summary>TCP sockets: the server's default transport.</summary>
internal sealed class SocketTransport(IOptions<ChatServerOptions> options, ILogger<SocketTransport> logger) : IConnectionListenerFactory
{
    public ValueTask<IConnectionListener> BindAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
            socket.Listen(options.Value.ListenBacklog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return ValueTask.FromResult<IConnectionListener>(new Listener(socket, logger));
    }

    private sealed class Listener(Socket socket, ILogger logger) : IConnectionListener
    {
        public IPEndPoint EndPoint { get; } = (IPEndPoint)socket.LocalEndPoint!;

        public async ValueTask<TransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                try
                {
                    var accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
                    accepted.NoDelay = true;
                    return new SocketConnection(accepted);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
                {
                    return null;
                }
                catch (SocketException ex)
                {
                    // A client that resets before we accept it is no reason to stop serving the others.
                    ServerLog.AcceptFailed(logger, ex);
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class SocketConnection : TransportConnection, IDuplexPipe
    {
        // Small buffers: most lines are short, and an idle connection should cost little.
        private const int ReadBufferBytes = 4096;
        private const int MinimumReadBytes = 1024;
        private const int WriteBufferBytes = 4096;

        private readonly Socket _socket;
        private readonly NetworkStream _stream;

        public SocketConnection(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: ReadBufferBytes, minimumReadSize: MinimumReadBytes, leaveOpen: true));
            Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: WriteBufferBytes, leaveOpen: true));
            var remote = socket.RemoteEndPoint as IPEndPoint;
            RemoteAddress = Describe(remote?.Address);
            Name = remote is null ? "unknown" : $"{RemoteAddress}:{remote.Port}";
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
