using System.Text;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Events;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Sessions;
using Microsoft.Extensions.Options;

namespace ChatRoom.Routing;

internal sealed class MessageRouter : IMessageRouter
{
    // Offline messages are handed over in pages so one user's backlog never sits in memory at once.
    internal const int OfflinePageSize = 256;

    private readonly IPresenceService _presence;
    private readonly IBlacklistService _blacklist;
    private readonly IOfflineStore _offline;
    private readonly ICredentialSource _users;
    private readonly ISessionOutbox _outbox;
    private readonly TimeProvider _time;
    private readonly ChatEventPublisher _events;
    private readonly IOptionsMonitor<ChatRoomOptions> _options;

    public MessageRouter(
        IPresenceService presence,
        IBlacklistService blacklist,
        IOfflineStore offline,
        ICredentialSource users,
        ISessionOutbox outbox,
        TimeProvider time,
        ChatEventPublisher events,
        IOptionsMonitor<ChatRoomOptions> options)
    {
        _presence = presence;
        _blacklist = blacklist;
        _offline = offline;
        _users = users;
        _outbox = outbox;
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
        var session = await _presence.FindAsync(to, cancellationToken).ConfigureAwait(false);
        if (session is not null && _outbox.TryPost(session.Id, new MessageNotice(message, FromOfflineStore: false)))
        {
            _events.Publish(new MessageDelivered(message.SentAt, message));
            return new SendResult(SendOutcome.Delivered, message);
        }

        // Offline, or its connection is gone or full: keep it for the next login rather than lose it.
        await _offline.AppendAsync(to, message, cancellationToken).ConfigureAwait(false);
        _events.Publish(new MessageStoredOffline(message.SentAt, message));
        return new SendResult(SendOutcome.StoredOffline, message);
    }

    public async ValueTask<BroadcastResult> BroadcastAsync(string from, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (CheckText(text) is { } reason)
        {
            _events.Publish(new MessageRefused(_time.GetUtcNow(), from, "*", reason));
            return new BroadcastResult(null, 0, 0, reason);
        }

        var message = new ChatMessage(MessageId.New(_time), MessageKind.Broadcast, from, null, text, _time.GetUtcNow());
        var notice = new MessageNotice(message, FromOfflineStore: false);
        int sent = 0, skipped = 0;
        foreach (var session in await _presence.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(session.User, from, StringComparison.Ordinal))
            {
                continue;
            }

            if (await _blacklist.HasBlockedAsync(session.User, from, cancellationToken).ConfigureAwait(false))
            {
                skipped++;
            }
            else if (_outbox.TryPost(session.Id, notice))
            {
                sent++;
            }
        }

        _events.Publish(new BroadcastSent(message.SentAt, message, sent, skipped));
        return new BroadcastResult(message, sent, skipped);
    }

    public async ValueTask AnnouncePresenceAsync(SessionInfo session, bool online, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var notice = new PresenceNotice(session.User, online);
        foreach (var other in await _presence.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!string.Equals(other.User, session.User, StringComparison.Ordinal)
                && !await _blacklist.HasBlockedAsync(session.User, other.User, cancellationToken).ConfigureAwait(false))
            {
                _outbox.TryPost(other.Id, notice);
            }
        }
    }

    public async ValueTask<int> DeliverOfflineAsync(SessionInfo session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var handed = 0;
        while (true)
        {
            var page = await _offline.PeekAsync(session.User, OfflinePageSize, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return handed;
            }

            var done = new List<MessageId>(page.Count);
            Dictionary<string, int>? withheld = null;
            var reachable = true;
            foreach (var message in page)
            {
                // Blocking after the message was stored still keeps it from the blocker.
                if (await _blacklist.HasBlockedAsync(session.User, message.From, cancellationToken).ConfigureAwait(false))
                {
                    withheld ??= new(StringComparer.Ordinal);
                    withheld[message.From] = withheld.GetValueOrDefault(message.From) + 1;
                    done.Add(message.Id);
                    continue;
                }

                if (!_outbox.TryPost(session.Id, new MessageNotice(message, FromOfflineStore: true)))
                {
                    reachable = false;
                    break;
                }

                done.Add(message.Id);
                handed++;
                _events.Publish(new MessageDelivered(_time.GetUtcNow(), message));
            }

            await _offline.AcknowledgeAsync(session.User, done, cancellationToken).ConfigureAwait(false);
            foreach (var (sender, count) in withheld ?? [])
            {
                _events.Publish(new OfflineMessagesWithheld(_time.GetUtcNow(), session.User, sender, count));
            }

            if (!reachable)
            {
                return handed;
            }
        }
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
