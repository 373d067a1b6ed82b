using ChatRoom.Client;
using ChatRoom.Consent;
using ChatRoom.Messaging;

namespace ChatRoom.Peer;

/// <summary>Which way a private message went.</summary>
public enum PrivateRoute
{
    /// <summary>Straight to the peer, which acknowledged it.</summary>
    Peer,

    /// <summary>The peer could not be reached or did not acknowledge; it went through the server.</summary>
    Server,
}

/// <summary>The outcome of a private send.</summary>
/// <param name="Route">Which way it went.</param>
/// <param name="MessageId">The id the message travelled with.</param>
/// <param name="ServerReceipt">What the server did with it, when it went through the server.</param>
public sealed record PrivateDelivery(PrivateRoute Route, MessageId MessageId, SendReceipt? ServerReceipt = null);

/// <summary>Where and how to reach a peer who consented: its address and the grant to present.</summary>
/// <param name="Address">The peer's IP address.</param>
/// <param name="Port">The peer's listening port.</param>
/// <param name="Grant">The grant to present.</param>
public sealed record PeerRoute(string Address, int Port, PeerGrant Grant)
{
    /// <summary>The SHA-256 pin of the certificate the peer must prove (TLS); null for a peer that speaks plain TCP.</summary>
    public string? PeerPin { get; init; }
}

/// <summary>The peer could not be reached, refused the connection, or did not acknowledge the message.</summary>
public sealed class PeerUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PeerUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>Carries one private message to a peer and returns once the peer has acknowledged it.</summary>
public interface IPeerTransport
{
    /// <summary>Sends <paramref name="message"/> over <paramref name="route"/> and waits for the peer's acknowledgement.</summary>
    /// <exception cref="PeerUnavailableException">No acknowledgement: the message must not be counted as delivered.</exception>
    Task SendAsync(PeerRoute route, ChatMessage message, CancellationToken cancellationToken);
}
