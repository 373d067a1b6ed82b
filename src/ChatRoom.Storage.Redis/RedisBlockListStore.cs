using ChatRoom.Blocking;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis;

/// <summary>Each user's block list as one Redis set under their hash tag, shared by every node.</summary>
/// <remarks>Every Redis failure is a <see cref="ChatStoreException"/>; a change is reported only after Redis confirmed it.</remarks>
public sealed class RedisBlockListStore : IBlockListStore
{
    private readonly RedisGateway _redis;

    /// <summary>Keeps block lists in <paramref name="redis"/>'s default database, under keys starting with <paramref name="keyPrefix"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="keyPrefix"/> is too long or holds <c>{</c> or <c>}</c>.</exception>
    public RedisBlockListStore(IConnectionMultiplexer redis, string keyPrefix = RedisChatRoomOptions.DefaultKeyPrefix)
        => _redis = new RedisGateway(redis, keyPrefix);

    /// <inheritdoc />
    /// <exception cref="ChatStoreException">Redis did not confirm the change.</exception>
    public ValueTask<bool> AddAsync(string owner, string target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return _redis.RunAsync((key: _redis.Keys.Blocks(owner), target), static (db, s) => db.SetAddAsync(s.key, s.target), "add a block", cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="ChatStoreException">Redis did not confirm the change.</exception>
    public ValueTask<bool> RemoveAsync(string owner, string target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return _redis.RunAsync((key: _redis.Keys.Blocks(owner), target), static (db, s) => db.SetRemoveAsync(s.key, s.target), "remove a block", cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="ChatStoreException">Redis could not be read.</exception>
    public ValueTask<bool> ContainsAsync(string owner, string target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return _redis.RunAsync((key: _redis.Keys.Blocks(owner), target), static (db, s) => db.SetContainsAsync(s.key, s.target), "read a block list", cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="ChatStoreException">Redis could not be read.</exception>
    public async ValueTask<IReadOnlyCollection<string>> ListAsync(string owner, CancellationToken cancellationToken = default)
    {
        var members = await _redis.RunAsync(_redis.Keys.Blocks(owner), static (db, key) => db.SetMembersAsync(key), "read a block list", cancellationToken).ConfigureAwait(false);
        var list = new string[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            list[i] = members[i].ToString();
        }

        return list;
    }
}
