using System.Text;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Events;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Sessions;
using Microsoft.Extensions.Options;

namespace ChatRoom.Routing;

internal sealed class MessageRouter : IMessageRouter
{
    private readonly IBlacklistService _blacklist;
    private readonly IOfflineStore _offline;
    private readonly ICredentialSource _users;
    private readonly SessionRegistry _sessions;
    private readonly TimeProvider _time;
    private readonly ChatEventPublisher _events;
    private readonly IOptionsMonitor<ChatRoomOptions> _options;

    public MessageRouter(
        IBlacklistService blacklist,
        IOfflineStore offline,
        ICredentialSource users,
        SessionRegistry sessions,
        TimeProvider time,
        ChatEventPublisher events,
        IOptionsMonitor<ChatRoomOptions> options)
    {
        _blacklist = blacklist;
        _offline = offline;
        _users = users;
        _sessions = sessions;
        _time = time;
        _events = events;
        _options = options;
    }

    public async ValueTask<SendResult> SendAsync(string from, string to, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var refusal = CheckText(text)
            ?? (await _users.ExistsAsync(to, cancellationToken).ConfigureAwait(false) ? null : (RefusalReason?)RefusalReason.UnknownUser)
            ?? (await _blacklist.HasBlockedAsync(to, from, cancellationToken).ConfigureAwait(false) ? RefusalReason.Blocked : (RefusalReason?)null);
        if (refusal is { } reason)
        {
            _events.Publish(new MessageRefused(_time.GetUtcNow(), from, to, reason));
            return new SendResult(SendOutcome.Refused, null, reason);
        }

        var message = new ChatMessage(MessageId.New(_time), MessageKind.Direct, from, to, text, _time.GetUtcNow());

        // Stored first: it stays until the recipient's client acknowledges it, so neither a dead connection nor a crash
        // loses it. A full box refuses it, so one sender cannot fill the disk or the recipient's backlog without bound.
        var options = _options.CurrentValue;
        var limits = new MailboxLimits(options.MaxMailboxMessages, options.MaxMailboxBytes);
        if (await _offline.TryAppendAsync(to, message, limits, cancellationToken).ConfigureAwait(false) is not { } sequence)
        {
            _events.Publish(new MessageRefused(message.SentAt, from, to, RefusalReason.MailboxFull));
            return new SendResult(SendOutcome.Refused, null, RefusalReason.MailboxFull);
        }

        var session = _sessions.FindUser(to);
        if (session is not null && session.Offer(new StoredMessage(sequence, message)))
        {
            _events.Publish(new MessageDelivered(message.SentAt, message));
            return new SendResult(SendOutcome.Delivered, message);
        }

        if (session is { IsActive: true })
        {
            // Online but still taking earlier messages: it follows them from the store, in order.
            return new SendResult(SendOutcome.Queued, message);
        }

        _events.Publish(new MessageStoredOffline(message.SentAt, message));
        return new SendResult(SendOutcome.StoredOffline, message);
    }

    public async ValueTask<BroadcastResult> BroadcastAsync(string from, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (CheckText(text) is { } reason)
        {
            _events.Publish(new MessageRefused(_time.GetUtcNow(), from, "*", reason));
            return new BroadcastResult(null, 0, reason);
        }

        var message = new ChatMessage(MessageId.New(_time), MessageKind.Broadcast, from, null, text, _time.GetUtcNow());
        var notice = new MessageNotice(message, FromOfflineStore: false);
        int sent = 0, skipped = 0;
        foreach (var session in _sessions.All)
        {
            if (string.Equals(session.User, from, StringComparison.Ordinal))
            {
                continue;
            }

            if (await _blacklist.HasBlockedAsync(session.User, from, cancellationToken).ConfigureAwait(false))
            {
                skipped++;
            }
            else if (session.Post(notice) == PostOutcome.Queued)
            {
                sent++;
            }
        }

        // The server's log may know who was skipped; the sender must not (see BroadcastResult).
        _events.Publish(new BroadcastSent(message.SentAt, message, sent, skipped));
        return new BroadcastResult(message, sent);
    }

    private RefusalReason? CheckText(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return RefusalReason.Empty;
        }

        return Encoding.UTF8.GetByteCount(text) > _options.CurrentValue.MaxMessageBytes ? RefusalReason.TooLong : null;
    }
}
