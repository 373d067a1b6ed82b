using ChatRoom.Consent;
using ChatRoom.Sessions;

namespace ChatRoom.Client;

/// <summary>Peer-to-peer messaging as the shell uses it: grants arrive from the server; sends report how the message went.</summary>
public interface IPrivateChannel
{
    /// <summary>Remembers the address and grant of a user who consented.</summary>
    void Grant(AddressGrantedNotice granted);

    /// <summary>Remembers a grant this client gave, so the requester's connection is admitted.</summary>
    void Accept(PeerGrant grant);

    /// <summary>This client blocked (or unblocked) <paramref name="user"/>: a block revokes their grant and refuses their private messages.</summary>
    void Blocked(string user, bool blocked);

    /// <summary>Sends <paramref name="text"/> to <paramref name="user"/> and returns the line that tells the person how it went.</summary>
    Task<string> SendAsync(string user, string text, CancellationToken cancellationToken = default);
}
