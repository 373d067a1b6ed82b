using System.IO.Pipelines;
using System.Net;

namespace ChatRoom.Transport;

/// <summary>
/// One accepted connection as a duplex pipe of bytes, whatever carries it (a socket, memory). The server's protocol
/// code sees only this, in the spirit of Kestrel's ConnectionContext.
/// </summary>
internal abstract class TransportConnection : IAsyncDisposable
{
    /// <summary>Bytes from the client (<see cref="IDuplexPipe.Input"/>) and to it (<see cref="IDuplexPipe.Output"/>).</summary>
    public abstract IDuplexPipe Pipe { get; }

    /// <summary>The client's IP address, as text.</summary>
    public abstract string RemoteAddress { get; }

    /// <summary>Address and port, for logs.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Completes what must happen before the first byte of the protocol (a TLS handshake), within the transport's own
    /// deadline. False when the connection could not be opened (a client that is not speaking TLS, a failed handshake, a
    /// timeout): it has been told why where it can be, and is to be disposed unused.
    /// </summary>
    public virtual ValueTask<bool> OpenAsync(CancellationToken cancellationToken) => ValueTask.FromResult(true);

    /// <summary>Nothing more will be sent: lets the client see the end of the stream after the last byte.</summary>
    public abstract void CompleteOutput();

    /// <summary>Releases the connection; pending reads and writes end.</summary>
    public abstract ValueTask DisposeAsync();

    /// <summary>The IP address as text, IPv4-mapped IPv6 addresses shown as IPv4.</summary>
    protected static string Describe(IPAddress? address)
        => (address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address)?.ToString() ?? "unknown";
}

/// <summary>Accepts connections on one endpoint.</summary>
internal interface IConnectionListener : IAsyncDisposable
{
    /// <summary>Where it listens (the real port when bound to port 0).</summary>
    IPEndPoint EndPoint { get; }

    /// <summary>The next connection, or null once the listener is closed.</summary>
    ValueTask<TransportConnection?> AcceptAsync(CancellationToken cancellationToken = default);
}

/// <summary>Makes listeners: the server's one seam to its transport (sockets by default, memory in tests).</summary>
internal interface IConnectionListenerFactory
{
    /// <summary>Starts listening on <paramref name="endPoint"/>.</summary>
    ValueTask<IConnectionListener> BindAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default);
}
