using System.Collections.Concurrent;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Cluster;
using ChatRoom.Consent;
using ChatRoom.Events;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Presence;

namespace ChatRoom.Sessions;

internal sealed class SessionManager : ISessionManager
{
    private readonly IAuthService _auth;
    private readonly IPresenceService _presence;
    private readonly IBlacklistService _blacklist;
    private readonly IBlockListStore _blocks;
    private readonly IConsentService _consent;
    private readonly IOfflineStore _store;
    private readonly SessionRegistry _registry;
    private readonly DeliveryContext _delivery;
    private readonly TimeProvider _time;
    private readonly ChatEventPublisher _events;
    private readonly ClusterSessions _cluster;
    private readonly ConcurrentDictionary<string, AnnouncedPresence> _announced = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _startedAt;

    public SessionManager(
        IAuthService auth,
        IPresenceService presence,
        IBlacklistService blacklist,
        IBlockListStore blocks,
        IConsentService consent,
        IOfflineStore store,
        SessionRegistry registry,
        DeliveryContext delivery,
        TimeProvider time,
        ChatEventPublisher events,
        ClusterSessions cluster)
    {
        _cluster = cluster;
        _auth = auth;
        _presence = presence;
        _blacklist = blacklist;
        _blocks = blocks;
        _consent = consent;
        _store = store;
        _registry = registry;
        _delivery = delivery;
        _time = time;
        _events = events;
        _startedAt = time.GetUtcNow();
    }

    public int Count => _registry.Count;

    public async ValueTask<SessionLogin> LoginAsync(ISessionConnection connection, string user, string password, int? peerPort = null, string? peerAddress = null, string? peerPin = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var result = await _auth.LoginAsync(user, password, connection.RemoteAddress, cancellationToken).ConfigureAwait(false);
        if (result is not LoginSuccess success)
        {
            return new SessionLogin(result, null);
        }

        var now = _time.GetUtcNow();
        var info = new SessionInfo(SessionId.New(), success.User, connection.RemoteAddress, peerPort, now, now)
        {
            PeerAddress = peerAddress,
            PeerPin = peerPin,
            Node = _cluster.Bus.NodeId,
        };
        var login = await _presence.LoginAsync(info, cancellationToken).ConfigureAwait(false);
        var session = new ChatSession(login.Session, connection, _delivery);
        _registry.Add(session);
        if (login.Displaced is { } displaced)
        {
            _events.Publish(new SessionDisplaced(now, displaced, login.Session));
            // The user is still online, so nobody is told they left; only the old connection hears why it closes.
            // When it is on another node, that node closes it.
            CloseHere(displaced, new SessionEnd(LogoutReason.Displaced, connection.RemoteAddress));
            _consent.SessionEnded(displaced);
            await _cluster.Bus.PublishAsync(new SessionEndedSignal(displaced, LogoutReason.Displaced, connection.RemoteAddress), cancellationToken).ConfigureAwait(false);
        }

        return new SessionLogin(result, session);
    }

    public async ValueTask StartAsync(ChatSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await session.StartAsync(cancellationToken).ConfigureAwait(false);
        await AnnounceAsync(session.User, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask AcknowledgeAsync(ChatSession session, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(ids);
        // Only what this session handed over counts: an id it never sent is not the client's to delete.
        var taken = session.Acknowledged(ids);
        if (taken.Count == 0)
        {
            return;
        }

        await _store.AcknowledgeAsync(session.User, taken, cancellationToken).ConfigureAwait(false);
        _events.Publish(new MessagesAcknowledged(_time.GetUtcNow(), session.User, taken.Count));
    }

    public async ValueTask<bool> HeartbeatAsync(ChatSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!session.IsActive)
        {
            return false;
        }

        if (await _presence.HeartbeatAsync(session.Id, session.User, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        await EndIfGoneAsync(session, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// Ends <paramref name="session"/> here when presence no longer holds it: another node ended it (displaced, or
    /// expired while this node was cut off) and the signal that should have closed it here was lost. Without this the
    /// client would stay connected to a session nobody can reach.
    /// </summary>
    internal async ValueTask EndIfGoneAsync(ChatSession session, CancellationToken cancellationToken)
    {
        var current = await _presence.FindAsync(session.User, cancellationToken).ConfigureAwait(false);
        if (current?.Id == session.Id)
        {
            return;
        }

        // A newer session of the user took over; none means it expired.
        CloseHere(session.Info, current is null ? new SessionEnd(LogoutReason.Expired) : new SessionEnd(LogoutReason.Displaced, current.RemoteAddress));
        _consent.SessionEnded(session.Info);
    }

    public async ValueTask LogoutAsync(ChatSession session, LogoutReason reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!session.TryEnd())
        {
            return;
        }

        _registry.Remove(session);
        if (await _presence.LogoutAsync(session.Id, session.User, reason, cancellationToken).ConfigureAwait(false) is { } ended)
        {
            _events.Publish(new UserLoggedOut(_time.GetUtcNow(), ended, reason));
            _consent.SessionEnded(ended);
            await _cluster.Bus.PublishAsync(new SessionEndedSignal(ended, reason), cancellationToken).ConfigureAwait(false);
            await AnnounceAsync(ended.User, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<IReadOnlyList<string>> GetOnlineUsersAsync(ChatSession viewer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        var others = await _presence.ListUsersAsync(cancellationToken).ConfigureAwait(false);
        var blocked = await _blacklist.HaveBlockedAsync(others, viewer.User, cancellationToken).ConfigureAwait(false);
        var visible = new List<string>(others.Count);
        for (var i = 0; i < others.Count; i++)
        {
            // Someone who blocked you does not show as online to you.
            if (!blocked[i])
            {
                visible.Add(others[i]);
            }
        }

        visible.Sort(StringComparer.Ordinal);
        return visible;
    }

    public async ValueTask<int> ExpireAsync(CancellationToken cancellationToken = default)
    {
        var expired = await _presence.SweepAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        foreach (var info in expired)
        {
            _events.Publish(new UserLoggedOut(now, info, LogoutReason.Expired));
            // Any node may expire any session (its node may be gone); the one that holds it closes it.
            CloseHere(info, new SessionEnd(LogoutReason.Expired));
            _consent.SessionEnded(info);
            await _cluster.Bus.PublishAsync(new SessionEndedSignal(info, LogoutReason.Expired), cancellationToken).ConfigureAwait(false);
            await AnnounceAsync(info.User, cancellationToken).ConfigureAwait(false);
        }

        return expired.Count;
    }

    /// <summary>Another node ended a session: close it if it is here, and drop the questions it asked or was asked.</summary>
    internal void EndedElsewhere(SessionEndedSignal signal)
    {
        CloseHere(signal.Session, new SessionEnd(signal.Reason, signal.ByAddress));
        _consent.SessionEnded(signal.Session);
    }

    /// <summary>Another node announced a change of <paramref name="user"/>'s presence: tell the sessions here.</summary>
    internal ValueTask AnnounceHereAsync(string user, CancellationToken cancellationToken) => AnnounceAsync(user, publish: false, cancellationToken);

    /// <summary>
    /// Presence signals from other nodes may have been lost (the link was down, or this node was paused): tell the
    /// sessions here each change they missed. Users last announced online who are gone, users last announced gone who are
    /// back, and users online who were never announced here but logged in after this node started. Those online since
    /// before it started were never announced here (its sessions learn of them by asking who is online); they are only
    /// noted, so that their leaving is announced.
    /// </summary>
    internal async ValueTask ReannounceAsync(CancellationToken cancellationToken)
    {
        var online = new HashSet<string>(await _presence.ListUsersAsync(cancellationToken).ConfigureAwait(false), StringComparer.Ordinal);
        var changed = new List<string>();
        foreach (var (user, announced) in _announced)
        {
            if (announced.Online is { } was && was != online.Contains(user))
            {
                changed.Add(user);
            }
        }

        // Asked all at once: after a start, every user online is unknown here.
        var unknown = online.Where(user => !_announced.TryGetValue(user, out var announced) || announced.Online is null).ToList();
        var finding = unknown.Select(user => _presence.FindAsync(user, cancellationToken).AsTask()).ToList();
        for (var i = 0; i < unknown.Count; i++)
        {
            var session = await finding[i].ConfigureAwait(false);
            if (session is null)
            {
                continue; // gone again meanwhile: nothing the sessions here were told needs correcting
            }

            if (session.LoginTime >= _startedAt)
            {
                changed.Add(unknown[i]);
            }
            else
            {
                var announced = _announced.GetOrAdd(unknown[i], static _ => new AnnouncedPresence());
                await announced.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                announced.Online ??= true;
                announced.Gate.Release();
            }
        }

        foreach (var user in changed)
        {
            // Announces what presence says now, and only if it differs from the last announcement.
            await AnnounceAsync(user, publish: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private void CloseHere(SessionInfo info, SessionEnd end)
    {
        if (_registry.Find(info.Id) is { } session && session.TryEnd())
        {
            _registry.Remove(session);
            session.Connection.Close(end);
        }
    }

    private ValueTask AnnounceAsync(string user, CancellationToken cancellationToken) => AnnounceAsync(user, publish: true, cancellationToken);

    // Everyone online hears it, except those the user has blocked: a blocker stays hidden from the people they blocked.
    // One announcement per user at a time, of what presence says *now*, and only when it differs from the last one: a
    // logout racing a new login of the same user cannot leave the others with the wrong last word, and a takeover is
    // not announced at all (the user never went offline). A login storm makes this N²/2 deliveries, so each must cost
    // what a broadcast delivery costs: the block list is read once per announcement (not once per recipient), and one
    // notice instance goes to everyone, so the transport formats it once (see SessionNotice). Reading the list once is as
    // fresh as reading it per recipient: a user's blocks change only by commands on their own connection, which waits
    // for its login announcement, and a block or unblock while online tells the target itself (BlacklistService).
    // Each node tells its own sessions, from what the shared presence says; the node where the change happened tells the
    // others to do the same (publish).
    private async ValueTask AnnounceAsync(string user, bool publish, CancellationToken cancellationToken)
    {
        var announced = _announced.GetOrAdd(user, static _ => new AnnouncedPresence());
        await announced.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var online = await _presence.FindAsync(user, cancellationToken).ConfigureAwait(false) is not null;
            if (announced.Online == online)
            {
                return;
            }

            announced.Online = online;
            var blocked = await _blocks.ListAsync(user, cancellationToken).ConfigureAwait(false);
            var hidden = blocked.Count == 0 ? null : blocked as IReadOnlySet<string> ?? new HashSet<string>(blocked, StringComparer.Ordinal);
            var notice = new PresenceNotice(user, online);
            foreach (var other in _registry.All)
            {
                if (!string.Equals(other.User, user, StringComparison.Ordinal) && hidden?.Contains(other.User) != true)
                {
                    other.Post(notice);
                }
            }
        }
        finally
        {
            announced.Gate.Release();
        }

        if (publish)
        {
            await _cluster.Bus.PublishAsync(new PresenceSignal(user), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>What the others were last told about one user; one per user name ever seen, so bounded by the user list.</summary>
    private sealed class AnnouncedPresence
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public bool? Online { get; set; }
    }
}
