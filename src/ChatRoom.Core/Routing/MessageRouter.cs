using System.Text;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Cluster;
using ChatRoom.Events;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Presence;
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
    private readonly IPresenceService _presence;
    private readonly ClusterSessions _cluster;
    private readonly SenderTurns _turns = new();

    public MessageRouter(
        IBlacklistService blacklist,
        IOfflineStore offline,
        ICredentialSource users,
        SessionRegistry sessions,
        TimeProvider time,
        ChatEventPublisher events,
        IOptionsMonitor<ChatRoomOptions> options,
        IPresenceService presence,
        ClusterSessions cluster)
    {
        _presence = presence;
        _cluster = cluster;
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
        var turn = _turns.Take(from);
        long? appended;
        ChatMessage message;
        try
        {
            var refusal = CheckText(text)
                ?? (await _users.ExistsAsync(to, cancellationToken).ConfigureAwait(false) ? null : (RefusalReason?)RefusalReason.UnknownUser)
                ?? (await _blacklist.HasBlockedAsync(to, from, cancellationToken).ConfigureAwait(false) ? RefusalReason.Blocked : (RefusalReason?)null);
            if (refusal is { } reason)
            {
                _events.Publish(new MessageRefused(_time.GetUtcNow(), from, to, reason));
                return new SendResult(SendOutcome.Refused, null, reason);
            }

            message = new ChatMessage(MessageId.New(_time), MessageKind.Direct, from, to, text, _time.GetUtcNow());

            // Stored first: it stays until the recipient's client acknowledges it, so neither a dead connection nor a crash
            // loses it. A full box refuses it, so one sender cannot fill the disk or the recipient's backlog without bound.
            var options = _options.CurrentValue;
            var limits = new MailboxLimits(options.MaxMailboxMessages, options.MaxMailboxBytes);
            if (!turn.Before.IsCompleted)
            {
                await turn.Before.ConfigureAwait(false);
            }

            var appending = _offline.TryAppendAsync(to, message, limits, cancellationToken);
            turn.Pass();
            appended = await appending.ConfigureAwait(false);
        }
        finally
        {
            turn.Pass();
        }

        if (appended is not { } sequence)
        {
            _events.Publish(new MessageRefused(message.SentAt, from, to, RefusalReason.MailboxFull));
            return new SendResult(SendOutcome.Refused, null, RefusalReason.MailboxFull);
        }

        var stored = new StoredMessage(sequence, message);
        var session = _sessions.FindUser(to);
        if (session is not null && session.Offer(stored))
        {
            _events.Publish(new MessageDelivered(message.SentAt, message));
            return new SendResult(SendOutcome.Delivered, message);
        }

        if (session is { IsActive: true })
        {
            // Online but still taking earlier messages: it follows them from the store, in order.
            return new SendResult(SendOutcome.Queued, message);
        }

        // Online on another node: that node offers it to the session as this one would have. When the signal cannot
        // reach that node now, the session reads it from the store when its node catches up.
        if (session is null && _cluster.Clustered
            && await FindElsewhereAsync(to, cancellationToken).ConfigureAwait(false) is { } elsewhere)
        {
            if (!await _cluster.Bus.SendAsync(elsewhere.Node!, new DeliverSignal(to, stored), cancellationToken).ConfigureAwait(false))
            {
                return new SendResult(SendOutcome.Queued, message);
            }

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
            return new BroadcastResult(null, 0, reason);
        }

        var message = new ChatMessage(MessageId.New(_time), MessageKind.Broadcast, from, null, text, _time.GetUtcNow());

        // Counted before anything goes out: a count that fails (the store is away) refuses the broadcast before anyone
        // has it, and the sender's retry is not a second copy. The publish itself never fails the command: a signal
        // that cannot be sent is lost, and one sent on a link that stalls may still arrive.
        var elsewhere = _cluster.Clustered ? await CountRecipientsElsewhereAsync(from, cancellationToken).ConfigureAwait(false) : 0;
        var (sent, skipped) = await PostBroadcastHereAsync(message, cancellationToken).ConfigureAwait(false);
        if (_cluster.Clustered)
        {
            await _cluster.Bus.PublishAsync(new BroadcastSignal(message), cancellationToken).ConfigureAwait(false);
            sent += elsewhere;
        }

        // The server's log may know who was skipped; the sender must not (see BroadcastResult).
        _events.Publish(new BroadcastSent(message.SentAt, message, sent, skipped));
        return new BroadcastResult(message, sent);
    }

    // The message is stored already: a failure to look its recipient up must not turn into an error, or the sender would
    // send it again as a new message. Unknown counts as offline; their session reads it from the store.
    private async ValueTask<SessionInfo?> FindElsewhereAsync(string user, CancellationToken cancellationToken)
    {
        try
        {
            var found = await _presence.FindAsync(user, cancellationToken).ConfigureAwait(false);
            return found is not null && !_cluster.IsHere(found) ? found : null;
        }
        catch (Storage.ChatStoreException)
        {
            return null;
        }
    }

    /// <summary>Hands a broadcast to every session on this node but the sender's and those who blocked the sender.</summary>
    internal async ValueTask<(int Sent, int Skipped)> PostBroadcastHereAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var notice = new MessageNotice(message, FromOfflineStore: false);
        var recipients = new List<ChatSession>(_sessions.Count);
        foreach (var session in _sessions.All)
        {
            if (!string.Equals(session.User, message.From, StringComparison.Ordinal))
            {
                recipients.Add(session);
            }
        }

        var blocked = await _blacklist.HaveBlockedAsync([.. recipients.Select(static r => r.User)], message.From, cancellationToken).ConfigureAwait(false);
        int sent = 0, skipped = 0;
        for (var i = 0; i < recipients.Count; i++)
        {
            if (blocked[i])
            {
                skipped++;
            }
            else if (recipients[i].Post(notice) == PostOutcome.Queued)
            {
                sent++;
            }
        }

        return (sent, skipped);
    }

    // The other nodes hand it out themselves; the count the sender gets is the same as on one node: everyone online
    // but the sender and those who blocked the sender (counting blockers would tell the sender when one logs in).
    private async ValueTask<int> CountRecipientsElsewhereAsync(string from, CancellationToken cancellationToken)
    {
        var elsewhere = new List<string>();
        foreach (var user in await _presence.ListUsersAsync(cancellationToken).ConfigureAwait(false))
        {
            // One session per user: a user with a session here is counted by this node.
            if (_sessions.FindUser(user) is null && !string.Equals(user, from, StringComparison.Ordinal))
            {
                elsewhere.Add(user);
            }
        }

        var count = 0;
        foreach (var blocked in await _blacklist.HaveBlockedAsync(elsewhere, from, cancellationToken).ConfigureAwait(false))
        {
            if (!blocked)
            {
                count++;
            }
        }

        return count;
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
