using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using ChatRoom.Protocol;

namespace ChatRoom.Transport;

/// <summary>
/// Connections made of in-process pipes: the server runs unchanged, with no sockets, ports or kernel in between, so
/// protocol tests are fast and deterministic. <see cref="Connect"/> is the client's end.
/// </summary>
internal sealed class InMemoryTransport : IConnectionListenerFactory
{
    private readonly Channel<TransportConnection> _pending = Channel.CreateUnbounded<TransportConnection>();
    private int _next;

    public ValueTask<IConnectionListener> BindAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default)
        => ValueTask.FromResult<IConnectionListener>(new Listener(this, new IPEndPoint(IPAddress.Loopback, endPoint.Port)));

    /// <summary>Opens a connection to the bound listener and returns the client's end of it.</summary>
    /// <param name="remoteAddress">The address the server sees.</param>
    /// <param name="toClient">Options of the pipe from server to client (its buffer is the client's receive window); null for the defaults.</param>
    public IDuplexPipe Connect(string remoteAddress = "127.0.0.1", PipeOptions? toClient = null)
    {
        var toServer = new Pipe();
        var toClientPipe = new Pipe(toClient ?? PipeOptions.Default);
        var serverSide = new Connection(new DuplexPipe(toServer.Reader, toClientPipe.Writer), remoteAddress, $"{remoteAddress}:memory-{Interlocked.Increment(ref _next)}");
        if (!_pending.Writer.TryWrite(serverSide))
        {
            throw new InvalidOperationException("The in-memory listener is closed.");
        }

        return new DuplexPipe(toClientPipe.Reader, toServer.Writer);
    }

    private sealed class Listener(InMemoryTransport owner, IPEndPoint endPoint) : IConnectionListener
    {
        public IPEndPoint EndPoint { get; } = endPoint;

        public async ValueTask<TransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await owner._pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
            {
                return null;
            }
        }

        public ValueTask DisposeAsync()
        {
            owner._pending.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Connection(IDuplexPipe pipe, string remoteAddress, string name) : TransportConnection
    {
        public override IDuplexPipe Pipe { get; } = pipe;

        public override string RemoteAddress { get; } = remoteAddress;

        public override string Name { get; } = name;

        public override void CompleteOutput() => Pipe.Output.Complete();

        public override async ValueTask DisposeAsync()
        {
            await Pipe.Input.CompleteAsync().ConfigureAwait(false);
            await Pipe.Output.CompleteAsync().ConfigureAwait(false);
        }
    }
}
