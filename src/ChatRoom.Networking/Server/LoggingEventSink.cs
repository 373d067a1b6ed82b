using ChatRoom.Events;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Presence;
using ChatRoom.Routing;
using Microsoft.Extensions.Logging;

namespace ChatRoom.Server;

/// <summary>
/// Logs every domain event as one readable line, as the seed's server printed every operation. Per-message events
/// (delivered, stored, refused, withheld, broadcast) are Debug: at Information they cost throughput and tell the log
/// who wrote to whom. Failed logins and refusals are Debug too, so guessing cannot flood the log; an address locking is a
/// Warning. Successful logins, takeovers, logouts, blocks and consent stay at Information or above.
/// </summary>
internal sealed partial class LoggingEventSink(ILogger<LoggingEventSink> logger, TimeProvider time) : IChatEventSink
{
    private readonly StoreFailureLog _uncounted = new(time);

    public void OnEvent(ChatEvent chatEvent)
    {
        switch (chatEvent)
        {
            case LoginSucceeded e: LoginOk(logger, e.User, e.RemoteAddress); break;
            case LoginFailed e: LoginFailedLog(logger, e.User, e.RemoteAddress, e.AttemptsLeft); break;
            case LoginLockedOut e: Locked(logger, e.User, e.RemoteAddress, e.Remaining); break;
            case AddressLockedOut { Started: true } e: AddressLockStarted(logger, e.RemoteAddress, e.Remaining); break;
            case AddressLockedOut e: AddressRefused(logger, e.User, e.RemoteAddress, e.Remaining); break;
            case LoginSlowedDown e: SlowedDown(logger, e.User, e.RemoteAddress, e.RetryAfter); break;
            // While the store is away every login fails so (hundreds a second in a reconnect storm): logged like
            // refused commands, the first in full, then at most once per 10 s with a count.
            case LoginCheckFailed e when _uncounted.ShouldLog(out var unlogged): CheckFailed(logger, e.Error, e.User, e.RemoteAddress, unlogged); break;
            case LoginCheckFailed: break;
            case LockoutsPurged e: Purged(logger, e.Count); break;
            case UserLoggedOut e: LoggedOut(logger, e.Session.User, e.Reason); break;
            case SessionDisplaced e: Displaced(logger, e.Previous.User, e.Previous.RemoteAddress, e.Current.RemoteAddress); break;
            case MessageDelivered e: Delivered(logger, e.Message.Id, e.Message.From, e.Message.To ?? "*"); break;
            case MessageStoredOffline e: Stored(logger, e.Message.Id, e.Message.From, e.Message.To ?? "*"); break;
            case MessageRefused e: Refused(logger, e.From, e.To, e.Reason); break;
            case MessagesAcknowledged e: Acknowledged(logger, e.Recipient, e.Count); break;
            case OfflineMessagesWithheld e: Withheld(logger, e.Count, e.Sender, e.Recipient); break;
            case BroadcastSent e: Broadcast(logger, e.Message.Id, e.Message.From, e.Recipients, e.Skipped); break;
            case UserBlocked e: Blocked(logger, e.By, e.Target); break;
            case UserUnblocked e: Unblocked(logger, e.By, e.Target); break;
            case ConsentAsked e: ConsentAskedLog(logger, e.Requester, e.Target); break;
            case ConsentGiven e: ConsentGivenLog(logger, e.Target, e.Requester); break;
            case ConsentRefused e: ConsentRefusedLog(logger, e.Requester, e.Target, e.Reason); break;
            default: Other(logger, chatEvent); break;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Login ok: {User} from {Address}")]
    private static partial void LoginOk(ILogger logger, string user, string address);

    // Per-attempt failures are Debug: a guesser must not be able to fill the log (10,000 made-up names, 10,000 lines).
    // What stays visible is bounded: an address locking (once per address per window) and the store failing.
    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Login failed: {User} from {Address}, {AttemptsLeft} attempts left")]
    private static partial void LoginFailedLog(ILogger logger, string user, string address, int attemptsLeft);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Login locked: {User} from {Address}, {Remaining} left")]
    private static partial void Locked(ILogger logger, string user, string address, TimeSpan remaining);

    [LoggerMessage(EventId = 18, Level = LogLevel.Warning, Message = "Address locked: {Address} had too many failed logins; refused for {Remaining}")]
    private static partial void AddressLockStarted(ILogger logger, string address, TimeSpan remaining);

    [LoggerMessage(EventId = 19, Level = LogLevel.Debug, Message = "Login refused: {User} from {Address}, the address is locked for {Remaining}")]
    private static partial void AddressRefused(ILogger logger, string user, string address, TimeSpan remaining);

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Login slowed down: {User} from {Address}, try again in {RetryAfter}")]
    private static partial void SlowedDown(ILogger logger, string user, string address, TimeSpan retryAfter);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "Login refused: {User} from {Address}; the attempt could not be counted ({Unlogged} more such refusals since the last one logged; at most one is logged every 10 s)")]
    private static partial void CheckFailed(ILogger logger, Exception error, string user, string address, int unlogged);

    [LoggerMessage(EventId = 22, Level = LogLevel.Debug, Message = "Lockouts purged: {Count} idle records removed")]
    private static partial void Purged(ILogger logger, int count);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Logout: {User} ({Reason})")]
    private static partial void LoggedOut(ILogger logger, string user, LogoutReason reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Takeover: {User} at {OldAddress} displaced by a login from {NewAddress}")]
    private static partial void Displaced(ILogger logger, string user, string oldAddress, string newAddress);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Message {Id} delivered: {From} -> {To}")]
    private static partial void Delivered(ILogger logger, MessageId id, string from, string to);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Message {Id} stored offline: {From} -> {To}")]
    private static partial void Stored(ILogger logger, MessageId id, string from, string to);

    [LoggerMessage(EventId = 8, Level = LogLevel.Debug, Message = "Message refused: {From} -> {To} ({Reason})")]
    private static partial void Refused(ILogger logger, string from, string to, RefusalReason reason);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "Withheld {Count} stored messages from {Sender} to {Recipient}, who has blocked them")]
    private static partial void Withheld(ILogger logger, int count, string sender, string recipient);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Broadcast {Id} from {From}: {Recipients} recipients, {Skipped} skipped")]
    private static partial void Broadcast(ILogger logger, MessageId id, string from, int recipients, int skipped);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Block: {By} blocked {Target}")]
    private static partial void Blocked(ILogger logger, string by, string target);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Unblock: {By} unblocked {Target}")]
    private static partial void Unblocked(ILogger logger, string by, string target);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Consent asked: {Requester} wants the address of {Target}")]
    private static partial void ConsentAskedLog(ILogger logger, string requester, string target);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Consent given: {Target} gave {Requester} its address")]
    private static partial void ConsentGivenLog(ILogger logger, string target, string requester);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Consent refused: {Requester} -> {Target} ({Reason})")]
    private static partial void ConsentRefusedLog(ILogger logger, string requester, string target, ConsentRefusal reason);

    [LoggerMessage(EventId = 17, Level = LogLevel.Debug, Message = "Acknowledged: {Recipient} took {Count} messages")]
    private static partial void Acknowledged(ILogger logger, string recipient, int count);

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Event: {Event}")]
    private static partial void Other(ILogger logger, ChatEvent @event);
}
