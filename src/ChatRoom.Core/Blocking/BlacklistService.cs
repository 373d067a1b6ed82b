using ChatRoom.Auth;
using ChatRoom.Events;

namespace ChatRoom.Blocking;

internal sealed class BlacklistService : IBlacklistService
{
    private readonly IBlockListStore _store;
    private readonly ICredentialSource _users;
    private readonly TimeProvider _time;
    private readonly ChatEventPublisher _events;

    public BlacklistService(IBlockListStore store, ICredentialSource users, TimeProvider time, ChatEventPublisher events)
    {
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
        return BlockResult.Blocked;
    }

    public async ValueTask<UnblockResult> UnblockAsync(string owner, string target, CancellationToken cancellationToken = default)
    {
        if (!await _store.RemoveAsync(owner, target, cancellationToken).ConfigureAwait(false))
        {
            return UnblockResult.NotBlocked;
        }

        _events.Publish(new UserUnblocked(_time.GetUtcNow(), owner, target));
        return UnblockResult.Unblocked;
    }

    public ValueTask<bool> HasBlockedAsync(string owner, string other, CancellationToken cancellationToken = default)
        => _store.ContainsAsync(owner, other, cancellationToken);
}
