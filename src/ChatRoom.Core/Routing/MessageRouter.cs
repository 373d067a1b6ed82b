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

        // Stored first: it stays until the recipient's client acknowledges it, so neither a dead connection nor a crash loses it.
        await _offline.AppendAsync(to, message, cancellationToken).ConfigureAwait(false);
        var session = await _presence.FindAsync(to, cancellationToken).ConfigureAwait(false);
        if (session is not null && _outbox.TryPost(session.Id, new MessageNotice(message, FromOfflineStore: false)))
        {
            _events.Publish(new MessageDelivered(message.SentAt, message));
            return new SendResult(SendOutcome.Delivered, message);
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
        long cursor = 0;
        while (true)
        {
            var page = await _offline.ReadAsync(session.User, cursor, OfflinePageSize, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return handed;
            }

            cursor = page[^1].Sequence;
            var withheldIds = new List<MessageId>();
            Dictionary<string, int>? withheld = null;
            var reachable = true;
            foreach (var (_, message) in page)
            {
                // Blocking after the message was stored still keeps it from the blocker.
                if (await _blacklist.HasBlockedAsync(session.User, message.From, cancellationToken).ConfigureAwait(false))
                {
                    withheld ??= new(StringComparer.Ordinal);
                    withheld[message.From] = withheld.GetValueOrDefault(message.From) + 1;
                    withheldIds.Add(message.Id);
                    continue;
                }

                if (!_outbox.TryPost(session.Id, new MessageNotice(message, FromOfflineStore: true)))
                {
                    reachable = false;
                    break;
                }

                handed++;
                _events.Publish(new MessageDelivered(_time.GetUtcNow(), message));
            }

            // Withheld messages will never be shown, so they are done; the rest wait for the client's acknowledgement.
            await _offline.AcknowledgeAsync(session.User, withheldIds, cancellationToken).ConfigureAwait(false);
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

    public async ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        await _offline.AcknowledgeAsync(recipient, ids, cancellationToken).ConfigureAwait(false);
        _events.Publish(new MessagesAcknowledged(_time.GetUtcNow(), recipient, ids.Count));
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
