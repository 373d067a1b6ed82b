using ChatRoom.Auth;
using ChatRoom.Cluster;
using ChatRoom.Events;
using ChatRoom.Presence;
using ChatRoom.Sessions;

namespace ChatRoom.Blocking;

internal sealed class BlacklistService : IBlacklistService
{
    private readonly IBlockListStore _store;
    private readonly ICredentialSource _users;
    private readonly TimeProvider _time;
    private readonly ChatEventPublisher _events;
    private readonly SessionRegistry _sessions;
    private readonly IPresenceService _presence;
    private readonly ClusterSessions _cluster;

    public BlacklistService(IBlockListStore store, ICredentialSource users, TimeProvider time, ChatEventPublisher events, SessionRegistry sessions, IPresenceService presence, ClusterSessions cluster)
    {
        _presence = presence;
        _cluster = cluster;
        _sessions = sessions;
        _store = store;
        _users = users;
        _time = time;
        _events = events;
    }

    public async ValueTask<BlockResult> BlockAsync(string owner, string target, CancellationToken cancellationToken = default)
    {
        if (string.Equals(owner, target, StringComparison.Ordinal))
        {
            return BlockResult.CannotBlockSelf;
        }

        if (!await _users.ExistsAsync(target, cancellationToken).ConfigureAwait(false))
        {
            return BlockResult.UnknownUser;
        }

        if (!await _store.AddAsync(owner, target, cancellationToken).ConfigureAwait(false))
        {
            return BlockResult.AlreadyBlocked;
        }

        _events.Publish(new UserBlocked(_time.GetUtcNow(), owner, target));
        await ShowPresenceAsync(owner, target, online: false, cancellationToken).ConfigureAwait(false);
        return BlockResult.Blocked;
    }

    public async ValueTask<UnblockResult> UnblockAsync(string owner, string target, CancellationToken cancellationToken = default)
    {
        if (!await _store.RemoveAsync(owner, target, cancellationToken).ConfigureAwait(false))
        {
            return UnblockResult.NotBlocked;
        }

        _events.Publish(new UserUnblocked(_time.GetUtcNow(), owner, target));
        await ShowPresenceAsync(owner, target, online: true, cancellationToken).ConfigureAwait(false);
        return UnblockResult.Unblocked;
    }

    public ValueTask<bool> HasBlockedAsync(string owner, string other, CancellationToken cancellationToken = default)
        => _store.ContainsAsync(owner, other, cancellationToken);

    // A blocker is hidden from the blocked user: while both are online, the blocked user sees the blocker leave at
    // the block and come back at the unblock, so their view never goes stale.
    private async ValueTask ShowPresenceAsync(string owner, string target, bool online, CancellationToken cancellationToken)
    {
        if (_sessions.FindUser(owner) is not { IsActive: true })
        {
            return;
        }

        if (_sessions.FindUser(target) is { } seen)
        {
            seen.Post(new PresenceNotice(owner, online));
        }
        else if (_cluster.Clustered && await _presence.FindAsync(target, cancellationToken).ConfigureAwait(false) is { } elsewhere && !_cluster.IsHere(elsewhere))
        {
            await _cluster.PostAsync(elsewhere, new PresenceNotice(owner, online), cancellationToken).ConfigureAwait(false);
        }
    }
}
