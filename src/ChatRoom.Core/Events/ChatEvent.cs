using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Presence;
using ChatRoom.Routing;

namespace ChatRoom.Events;

/// <summary>Something the domain did, raised for every operation so a front end can log or count it.</summary>
/// <param name="At">When it happened, from the core's <see cref="TimeProvider"/>.</param>
public abstract record ChatEvent(DateTimeOffset At);

/// <summary>A user logged in.</summary>
public sealed record LoginSucceeded(DateTimeOffset At, string User, string RemoteAddress) : ChatEvent(At);

/// <summary>A login failed with wrong credentials.</summary>
public sealed record LoginFailed(DateTimeOffset At, string User, string RemoteAddress, int AttemptsLeft) : ChatEvent(At);

/// <summary>A login was refused because the user name is locked for its address (or has just become locked).</summary>
public sealed record LoginLockedOut(DateTimeOffset At, string User, string RemoteAddress, TimeSpan Remaining) : ChatEvent(At);

/// <summary>A login was refused unchecked because its address has had too many failed logins; <see cref="Started"/> when this attempt's failure locked it.</summary>
public sealed record AddressLockedOut(DateTimeOffset At, string User, string RemoteAddress, TimeSpan Remaining, bool Started) : ChatEvent(At);

/// <summary>A login was refused unchecked because its user name is slowed down after failures from many addresses.</summary>
public sealed record LoginSlowedDown(DateTimeOffset At, string User, string RemoteAddress, TimeSpan RetryAfter) : ChatEvent(At);

/// <summary>A login was refused because the lockout store (or the credential source) failed, so the attempt could not be counted (fail closed).</summary>
public sealed record LoginCheckFailed(DateTimeOffset At, string User, string RemoteAddress, Exception Error) : ChatEvent(At);

/// <summary>Idle lockout records (no recent failure, no running lock) were removed.</summary>
public sealed record LockoutsPurged(DateTimeOffset At, int Count) : ChatEvent(At);

/// <summary>A session ended; <see cref="Reason"/> says how.</summary>
public sealed record UserLoggedOut(DateTimeOffset At, SessionInfo Session, LogoutReason Reason) : ChatEvent(At);

/// <summary>A second login of an online user took over; the earlier session ends.</summary>
public sealed record SessionDisplaced(DateTimeOffset At, SessionInfo Previous, SessionInfo Current) : ChatEvent(At);

/// <summary>A message was handed to its online recipient.</summary>
public sealed record MessageDelivered(DateTimeOffset At, ChatMessage Message) : ChatEvent(At);

/// <summary>A message was stored for its offline recipient.</summary>
public sealed record MessageStoredOffline(DateTimeOffset At, ChatMessage Message) : ChatEvent(At);

/// <summary>A recipient's client acknowledged messages; they are removed from storage.</summary>
public sealed record MessagesAcknowledged(DateTimeOffset At, string Recipient, int Count) : ChatEvent(At);

/// <summary>A message was refused; the sender is told why.</summary>
public sealed record MessageRefused(DateTimeOffset At, string From, string To, RefusalReason Reason) : ChatEvent(At);

/// <summary>Stored messages were withheld at delivery because the recipient has since blocked their sender.</summary>
public sealed record OfflineMessagesWithheld(DateTimeOffset At, string Recipient, string Sender, int Count) : ChatEvent(At);

/// <summary>A broadcast went out.</summary>
public sealed record BroadcastSent(DateTimeOffset At, ChatMessage Message, int Recipients, int Skipped) : ChatEvent(At);

/// <summary>A user blocked another.</summary>
public sealed record UserBlocked(DateTimeOffset At, string By, string Target) : ChatEvent(At);

/// <summary>A user unblocked another.</summary>
public sealed record UserUnblocked(DateTimeOffset At, string By, string Target) : ChatEvent(At);

/// <summary>The target of a getaddress was asked for consent.</summary>
public sealed record ConsentAsked(DateTimeOffset At, string Requester, string Target) : ChatEvent(At);

/// <summary>The target consented; the requester received its address and a grant.</summary>
public sealed record ConsentGiven(DateTimeOffset At, string Requester, string Target) : ChatEvent(At);

/// <summary>A getaddress ended without an address.</summary>
public sealed record ConsentRefused(DateTimeOffset At, string Requester, string Target, ConsentRefusal Reason) : ChatEvent(At);
