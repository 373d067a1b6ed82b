using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Sessions;

namespace ChatRoom.Cluster;

/// <summary>Something one node tells another about the sessions it holds (see <see cref="IClusterBus"/>).</summary>
public abstract record ClusterSignal;

/// <summary>A direct message was stored for <paramref name="User"/>, whose session is on the receiving node.</summary>
/// <param name="User">The recipient.</param>
/// <param name="Message">The message as stored, with its sequence in the recipient's queue.</param>
public sealed record DeliverSignal(string User, StoredMessage Message) : ClusterSignal;

/// <summary>A broadcast: the receiving node hands it to its sessions, except the sender's and those who blocked the sender.</summary>
/// <param name="Message">The broadcast message.</param>
public sealed record BroadcastSignal(ChatMessage Message) : ClusterSignal;

/// <summary><paramref name="User"/> logged in or out: the receiving node tells its sessions what presence says now.</summary>
/// <param name="User">Whose presence changed.</param>
public sealed record PresenceSignal(string User) : ClusterSignal;

/// <summary>
/// A session ended. The node that holds it closes its connection (a login elsewhere displaced it, or its heartbeat
/// expired); every node drops the consent questions it asked or was asked.
/// </summary>
/// <param name="Session">The session that ended.</param>
/// <param name="Reason">Why.</param>
/// <param name="ByAddress">For <see cref="LogoutReason.Displaced"/>, the address of the login that took over; else null.</param>
public sealed record SessionEndedSignal(SessionInfo Session, LogoutReason Reason, string? ByAddress = null) : ClusterSignal;

/// <summary>A notice for one session on the receiving node (consent, or presence after a block); dropped if it is no longer there.</summary>
/// <param name="Session">The session.</param>
/// <param name="Notice">What it is told: a <see cref="PresenceNotice"/>, a consent notice or an <see cref="AddressGrantedNotice"/>.</param>
public sealed record NoticeSignal(SessionId Session, SessionNotice Notice) : ClusterSignal;
