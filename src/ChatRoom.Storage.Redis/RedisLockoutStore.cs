using System.Globalization;
using ChatRoom.Auth;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis;

/// <summary>
/// Lockout states in one Redis hash shared by every node (field the lockout key, value the state), so that a guess
/// counted on one node counts on all. A clear state is kept as no field. Each update is a compare-and-swap in one script:
/// of nodes racing from the same state, exactly one wins.
/// </summary>
/// <remarks>
/// One hash rather than a key per state: the lockout keys are few and small, the hash lives in one Cluster slot, and a
/// purge walks it with HSCAN instead of scanning the whole keyspace or keeping an index beside it. A state is written as
/// <c>failures|lockedUntil|lastFailure</c> with the times in UTC ticks (empty when none), so equal states are equal strings
/// whatever offset their times carry. Every Redis failure is a <see cref="ChatStoreException"/>.
/// </remarks>
public sealed class RedisLockoutStore : ILockoutStore
{
    // KEYS: the hash. ARGV: lockout key, expected ('' = clear), next ('' = clear). Returns 1 when swapped.
    private const string SwapScript = """
        local current = redis.call('HGET', KEYS[1], ARGV[1]) or ''
        if current ~= ARGV[2] then return 0 end
        if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
        return 1
        """;

    // KEYS: the hash. ARGV: lockout key, the state seen, … Removes each still holding the state seen; returns how many.
    private const string PurgeScript = """
        local removed = 0
        for i = 1, #ARGV, 2 do
          if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
            redis.call('HDEL', KEYS[1], ARGV[i])
            removed = removed + 1
          end
        end
        return removed
        """;

    private const int PurgePage = 500;

    private readonly RedisGateway _redis;

    /// <summary>Keeps lockout states in <paramref name="redis"/>'s default database, under a key starting with <paramref name="keyPrefix"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="keyPrefix"/> is too long or holds <c>{</c> or <c>}</c>.</exception>
    public RedisLockoutStore(IConnectionMultiplexer redis, string keyPrefix = RedisChatRoomOptions.DefaultKeyPrefix)
        => _redis = new RedisGateway(redis, keyPrefix);

    /// <inheritdoc />
    /// <exception cref="ChatStoreException">Redis could not be read, or held a state ChatRoom cannot read.</exception>
    public async ValueTask<LockoutState> GetAsync(string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var value = await _redis.RunAsync((key: _redis.Keys.Lockouts, user), static (db, s) => db.HashGetAsync(s.key, s.user), "read a lockout", cancellationToken).ConfigureAwait(false);
        if (value.IsNull)
        {
            return LockoutState.Clear;
        }

        return TryDecode(value.ToString(), out var state) ? state : throw _redis.Corrupt($"the lockout state of {user} cannot be read");
    }

    /// <inheritdoc />
    /// <exception cref="ChatStoreException">Redis did not confirm the update.</exception>
    public async ValueTask<bool> TryUpdateAsync(string user, LockoutState expected, LockoutState next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(next);
        RedisKey[] keys = [_redis.Keys.Lockouts];
        RedisValue[] values = [user, Encode(expected), Encode(next)];
        var swapped = await _redis.RunAsync(
            (keys, values),
            static (db, s) => db.ScriptEvaluateAsync(SwapScript, s.keys, s.values),
            "update a lockout",
            cancellationToken).ConfigureAwait(false);
        return (long)swapped == 1;
    }

    /// <inheritdoc />
    /// <exception cref="ChatStoreException">Redis could not be read or did not confirm a removal; what was removed before stays removed.</exception>
    public async ValueTask<int> PurgeAsync(DateTimeOffset failedBefore, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var removed = 0;
        var idle = new List<RedisValue>(2 * PurgePage);
        var cursor = 0L;
        do
        {
            // One HSCAN page, then one script that removes those of it still idle: a state changed in between is kept.
            var page = await _redis.RunAsync(
                (key: _redis.Keys.Lockouts, cursor),
                static (db, s) => db.ExecuteAsync("HSCAN", s.key, s.cursor, "COUNT", PurgePage),
                "read lockouts",
                cancellationToken).ConfigureAwait(false);
            var parts = (RedisResult[]?)page;
            if (parts is not [var next, var entries] || (RedisResult[]?)entries is not { } flat)
            {
                throw _redis.Corrupt("HSCAN of the lockouts returned something else than a cursor and entries");
            }

            cursor = (long)next;
            idle.Clear();
            for (var i = 0; i + 1 < flat.Length; i += 2)
            {
                // A state ChatRoom cannot read is left for someone to look at, not purged.
                if (TryDecode(flat[i + 1].ToString(), out var state) && state.IsIdle(failedBefore, now))
                {
                    idle.Add((RedisValue)flat[i]);
                    idle.Add((RedisValue)flat[i + 1]);
                }
            }

            if (idle.Count > 0)
            {
                RedisKey[] keys = [_redis.Keys.Lockouts];
                var gone = await _redis.RunAsync(
                    (keys, values: idle.ToArray()),
                    static (db, s) => db.ScriptEvaluateAsync(PurgeScript, s.keys, s.values),
                    "purge lockouts",
                    cancellationToken).ConfigureAwait(false);
                removed += (int)(long)gone;
            }
        }
        while (cursor != 0);

        return removed;
    }

    private static string Encode(LockoutState state)
        => state == LockoutState.Clear
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $"{state.Failures}|{state.LockedUntil?.UtcTicks}|{state.LastFailure?.UtcTicks}");

    private static bool TryDecode(string? text, out LockoutState state)
    {
        state = LockoutState.Clear;
        var parts = (text ?? "").Split('|');
        if (parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var failures)
            || !TryTime(parts[1], out var lockedUntil) || !TryTime(parts[2], out var lastFailure))
        {
            return false;
        }

        state = new LockoutState(failures, lockedUntil, lastFailure);
        return true;
    }

    private static bool TryTime(string text, out DateTimeOffset? time)
    {
        time = null;
        if (text.Length == 0)
        {
            return true;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }

        time = new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }
}
