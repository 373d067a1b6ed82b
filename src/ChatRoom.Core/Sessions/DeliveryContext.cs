using ChatRoom.Blocking;
using ChatRoom.Events;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatRoom.Sessions;

/// <summary>What every session's delivery shares: the store, the block lists, the window and the events.</summary>
internal sealed partial class DeliveryContext
{
    private readonly IBlacklistService _blacklist;
    private readonly ChatEventPublisher _events;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<ChatRoomOptions> _options;
    private readonly ILogger _logger;

    public DeliveryContext(IOfflineStore store, IBlacklistService blacklist, ChatEventPublisher events, TimeProvider time, IOptionsMonitor<ChatRoomOptions> options, ILogger<DeliveryContext> logger)
    {
        Store = store;
        _blacklist = blacklist;
        _events = events;
        _time = time;
        _options = options;
        _logger = logger;
    }

    public IOfflineStore Store { get; }

    public int Window => _options.CurrentValue.DeliveryWindow;

    // Between registering a session and starting it only a login's worth of notices can arrive.
    public int MaxHeldBeforeStart => _options.CurrentValue.DeliveryWindow;

    /// <summary>The ids in <paramref name="page"/> whose sender <paramref name="user"/> has blocked since they were stored; null if none.</summary>
    public async ValueTask<HashSet<MessageId>?> WithheldAsync(string user, IReadOnlyList<StoredMessage> page, CancellationToken cancellationToken)
    {
        HashSet<MessageId>? withheld = null;
        string? lastSender = null;
        var lastBlocked = false;
        foreach (var (_, message) in page)
        {
            // Pages are mostly runs from one sender: ask once per run.
            if (!string.Equals(message.From, lastSender, StringComparison.Ordinal))
            {
                lastSender = message.From;
                lastBlocked = await _blacklist.HasBlockedAsync(user, message.From, cancellationToken).ConfigureAwait(false);
            }

            if (lastBlocked)
            {
                (withheld ??= []).Add(message.Id);
            }
        }

        return withheld;
    }

    /// <summary>Withheld messages will never be shown, so they are done: removed from the store.</summary>
    public async ValueTask WithholdAsync(string user, IReadOnlyList<StoredMessage> page, HashSet<MessageId> withheld, CancellationToken cancellationToken)
    {
        await Store.AcknowledgeAsync(user, withheld, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        foreach (var group in page.Where(s => withheld.Contains(s.Message.Id)).GroupBy(s => s.Message.From, StringComparer.Ordinal))
        {
            _events.Publish(new OfflineMessagesWithheld(now, user, group.Key, group.Count()));
        }
    }

    public void Handed(List<ChatMessage>? messages)
    {
        if (messages is null)
        {
            return;
        }

        var now = _time.GetUtcNow();
        foreach (var message in messages)
        {
            _events.Publish(new MessageDelivered(now, message));
        }
    }

    public void DeliveryFailed(ChatSession session, Exception exception) => LogDeliveryFailed(_logger, exception, session.User);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Delivery to {User} paused: the store could not be read; it resumes at the next message or acknowledgement")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, string user);
}
