using ChatRoom.Consent;
using ChatRoom.Messaging;

namespace ChatRoom.Sessions;

/// <summary>Something the core tells an online session. One instance may be shared by many sessions (a broadcast).</summary>
public abstract record SessionNotice;

/// <summary>A message for the session's user.</summary>
/// <param name="Message">The message.</param>
/// <param name="FromOfflineStore">True when it waited in offline storage.</param>
public sealed record MessageNotice(ChatMessage Message, bool FromOfflineStore) : SessionNotice;

/// <summary>Another user came online or went offline.</summary>
public sealed record PresenceNotice(string User, bool Online) : SessionNotice;

/// <summary>Asks the session's user whether <paramref name="Requester"/> may have their address.</summary>
public sealed record ConsentRequestNotice(string Requester) : SessionNotice;

/// <summary>Tells a requester that consent was given: the target's address and the grant to present.</summary>
public sealed record AddressGrantedNotice(PeerGrant Grant, string Address, int Port) : SessionNotice
{
    /// <summary>The SHA-256 pin of the certificate the target's peer port speaks TLS with; null when it speaks plain TCP.</summary>
    public string? PeerPin { get; init; }
}

/// <summary>Tells the target that its consent took effect: the grant the requester will present.</summary>
public sealed record ConsentConfirmedNotice(PeerGrant Grant) : SessionNotice;

/// <summary>Tells a requester that getaddress ended without an address.</summary>
public sealed record ConsentRefusedNotice(string Target, ConsentRefusal Reason) : SessionNotice;
