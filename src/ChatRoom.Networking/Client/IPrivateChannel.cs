using ChatRoom.Consent;
using ChatRoom.Peer;
using ChatRoom.Sessions;

namespace ChatRoom.Client;

/// <summary>Peer-to-peer messaging as a front end uses it: grants arrive from the server; a send reports which way the message went.</summary>
public interface IPrivateChannel
{
    /// <summary>Remembers the address and grant of a user who consented.</summary>
    void Grant(AddressGrantedNotice granted);

    /// <summary>Remembers a grant this client gave, so the requester's connection is admitted.</summary>
    void Accept(PeerGrant grant);

    /// <summary>This client blocked (or unblocked) <paramref name="user"/>: a block revokes their grant and refuses their private messages.</summary>
    void Blocked(string user, bool blocked);

    /// <summary>
    /// Sends <paramref name="text"/> to <paramref name="user"/>: straight to their client, or through the server if it cannot
    /// be reached. Returns which way it went, or null when there is no grant for <paramref name="user"/> (ask for their
    /// address first).
    /// </summary>
    /// <exception cref="ChatConnectionException">Neither the peer nor the server took the message: it was not delivered.</exception>
    Task<PrivateDelivery?> SendAsync(string user, string text, CancellationToken cancellationToken = default);
}
