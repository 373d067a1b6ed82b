using ChatRoom.Presence;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Cluster;

/// <summary>
/// Who is online in the whole cluster, and on which node: a hash per user's session, one sorted set of users by last
/// heartbeat, and per node the set of its users. Every change is one script, so two nodes cannot both think they hold a
/// user's session. A node keeps a lease (see <see cref="RedisClusterNode"/>); once it has been missing for a whole lease,
/// the next sweep on any node ends that node's sessions.
/// </summary>
internal sealed class RedisPresenceDirectory : IPresenceService
{
    // KEYS: session hash, online set, nodes set, the node's user set, the node's lease. ARGV: user, id, node, info, beat ms, prefix, lease ms.
    private const string LoginScript = """
        local old = redis.call('HMGET', KEYS[1], 'id', 'node', 'info', 'beat')
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'id', ARGV[2], 'node', ARGV[3], 'info', ARGV[4], 'beat', ARGV[5])
        redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
        if old[2] and old[2] ~= ARGV[3] then redis.call('SREM', ARGV[6] .. 'node-users:' .. old[2], ARGV[1]) end
        redis.call('SADD', KEYS[4], ARGV[1])
        redis.call('SADD', KEYS[3], ARGV[3])
        redis.call('SET', KEYS[5], '1', 'PX', ARGV[7])
        if old[1] then return {old[3], old[4]} end
        return false
        """;

    // KEYS: session hash, online set. ARGV: user, id, beat ms.
    private const string HeartbeatScript = """
        if redis.call('HGET', KEYS[1], 'id') ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[1], 'beat', ARGV[3])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
        return 1
        """;

    // KEYS: session hash, online set. ARGV: user, id, prefix.
    private const string LogoutScript = """
        local v = redis.call('HMGET', KEYS[1], 'id', 'node', 'info', 'beat')
        if v[1] ~= ARGV[2] then return false end
        redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('SREM', ARGV[3] .. 'node-users:' .. v[2], ARGV[1])
        return {v[3], v[4]}
        """;

    // KEYS: online set. ARGV: prefix.
    private const string ListScript = """
        local out = {}
        for _, user in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          local v = redis.call('HMGET', ARGV[1] .. '{' .. user .. '}:session', 'info', 'beat')
          if v[1] then table.insert(out, v[1]); table.insert(out, v[2]) end
        end
        return out
        """;

    // KEYS: online set, nodes set. ARGV: prefix, heartbeat cutoff ms (older expire), lease ms.
    // A node is dead once its lease has been seen missing for a whole lease: a marker set the first time a sweep finds
    // the lease gone (its TTL tells its age; ten leases, so sweeps a second apart cannot all miss the nine-lease window
    // in which it says dead) and dropped when the lease is back. A lease that lapsed while Redis was away proves nothing,
    // since no node could renew it; every live node renews within a lease of Redis returning.
    private const string SweepScript = """
        local out = {}
        local function expire(user, node)
          local key = ARGV[1] .. '{' .. user .. '}:session'
          local v = redis.call('HMGET', key, 'info', 'beat', 'node')
          -- An old entry whose session is gone (deleted, or evicted by a maxmemory policy) would be read by every sweep.
          if not v[1] and not node then redis.call('ZREM', KEYS[1], user) end
          if not v[1] or (node and v[3] ~= node) then return end
          redis.call('DEL', key)
          redis.call('ZREM', KEYS[1], user)
          redis.call('SREM', ARGV[1] .. 'node-users:' .. v[3], user)
          table.insert(out, v[1]); table.insert(out, v[2])
        end
        local lease = tonumber(ARGV[3])
        -- Redis time, the same for every node. No sweep for over a lease means Redis (or every node) was away: nobody
        -- could renew a lease or record a heartbeat meanwhile, so that time must not count against anyone. Missing
        -- leases start their grace again, and heartbeats are not judged until a heartbeat timeout has passed since.
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local clock = redis.call('HMGET', KEYS[3], 'last', 'resumed')
        local resumed = tonumber(clock[2]) or 0
        if clock[1] and now - tonumber(clock[1]) > lease then
          resumed = now
          for _, node in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('DEL', ARGV[1] .. 'node-missing:' .. node) end
        end
        redis.call('HSET', KEYS[3], 'last', now, 'resumed', resumed)
        if now - resumed >= tonumber(ARGV[4]) then
          for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])) do expire(user, nil) end
        end
        for _, node in ipairs(redis.call('SMEMBERS', KEYS[2])) do
          local missing = ARGV[1] .. 'node-missing:' .. node -- RedisKeys.NodeMissing
          if redis.call('EXISTS', ARGV[1] .. 'node:' .. node) == 1 then
            redis.call('DEL', missing)
          elseif redis.call('SET', missing, '1', 'NX', 'PX', lease * 10) then
            -- first seen without its lease: it has one more lease to renew it
          elseif redis.call('PTTL', missing) <= lease * 9 then
            for _, user in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'node-users:' .. node)) do expire(user, node) end
            redis.call('DEL', ARGV[1] .. 'node-users:' .. node, missing)
            redis.call('SREM', KEYS[2], node)
          end
        end
        return out
        """;

    private readonly RedisGateway _redis;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<ChatRoomOptions> _options;
    private readonly RedisClusterIdentity _node;

    public RedisPresenceDirectory(RedisGateway redis, RedisClusterIdentity node, TimeProvider time, IOptionsMonitor<ChatRoomOptions> options)
    {
        _redis = redis;
        _node = node;
        _time = time;
        _options = options;
    }

    public async ValueTask<PresenceLogin> LoginAsync(SessionInfo session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var keys = _redis.Keys;
        var node = session.Node ?? _node.NodeId;
        // The stored session names the node the hash and the node's user set name, so every node reads where it is.
        session = session with { Node = node };
        var result = await _redis.ScriptAsync(
            LoginScript,
            [keys.Session(session.User), keys.Online, keys.Nodes, keys.NodeUsers(node), keys.NodeLease(node)],
            [session.User, Id(session.Id), node, ClusterCodec.EncodeSession(session), Milliseconds(session.LastHeartbeat), keys.Prefix, (long)_node.Lease.TotalMilliseconds],
            "record a login",
            cancellationToken).ConfigureAwait(false);
        return new PresenceLogin(session, result.IsNull ? null : Read((RedisResult[])result!, 0));
    }

    public async ValueTask<bool> HeartbeatAsync(SessionId session, string user, CancellationToken cancellationToken = default)
    {
        var result = await _redis.ScriptAsync(
            HeartbeatScript,
            [_redis.Keys.Session(user), _redis.Keys.Online],
            [user, Id(session), Milliseconds(_time.GetUtcNow())],
            "record a heartbeat",
            cancellationToken).ConfigureAwait(false);
        return (long)result == 1;
    }

    public async ValueTask<SessionInfo?> LogoutAsync(SessionId session, string user, LogoutReason reason, CancellationToken cancellationToken = default)
    {
        var result = await _redis.ScriptAsync(
            LogoutScript,
            [_redis.Keys.Session(user), _redis.Keys.Online],
            [user, Id(session), _redis.Keys.Prefix],
            "record a logout",
            cancellationToken).ConfigureAwait(false);
        if (result.IsNull)
        {
            return null;
        }

        return Read((RedisResult[])result!, 0);
    }

    public async ValueTask<SessionInfo?> FindAsync(string user, CancellationToken cancellationToken = default)
    {
        var values = await _redis.RunAsync(
            _redis.Keys.Session(user),
            static (db, key) => db.HashGetAsync(key, [(RedisValue)"info", (RedisValue)"beat"]),
            "read presence",
            cancellationToken).ConfigureAwait(false);
        return values[0].IsNull ? null : Read(values[0].ToString(), (long)values[1]);
    }

    public async ValueTask<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var result = await _redis.ScriptAsync(
            ListScript,
            [_redis.Keys.Online],
            [_redis.Keys.Prefix],
            "list who is online",
            cancellationToken).ConfigureAwait(false);
        return ReadAll((RedisResult[])result!);
    }

    // One plain command, no script: a script holds Redis for every other client until it ends, and this one would read
    // every session of the cluster for each `online`.
    public async ValueTask<IReadOnlyList<string>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        var users = await _redis.RunAsync(_redis.Keys.Online, static (db, key) => db.SortedSetRangeByRankAsync(key), "list who is online", cancellationToken).ConfigureAwait(false);
        return [.. users.Select(static u => u.ToString())];
    }

    public async ValueTask<IReadOnlyList<SessionInfo>> SweepAsync(CancellationToken cancellationToken = default)
    {

        var now = _time.GetUtcNow();
        var cutoff = Milliseconds(now - _options.CurrentValue.HeartbeatTimeout);
        var result = await _redis.ScriptAsync(
            SweepScript,
            [_redis.Keys.Online, _redis.Keys.Nodes, _redis.Keys.SweepClock],
            [_redis.Keys.Prefix, cutoff, (long)_node.Lease.TotalMilliseconds, (long)_options.CurrentValue.HeartbeatTimeout.TotalMilliseconds],
            "expire sessions",
            cancellationToken).ConfigureAwait(false);
        return ReadAll((RedisResult[])result!);
    }

    private List<SessionInfo> ReadAll(RedisResult[] pairs)
    {
        var sessions = new List<SessionInfo>(pairs.Length / 2);
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            sessions.Add(Read(pairs, i));
        }

        return sessions;
    }

    private SessionInfo Read(RedisResult[] pair, int at) => Read(pair[at].ToString(), (long)pair[at + 1]);

    // The heartbeat is kept apart from the rest, so a heartbeat rewrites one number rather than the whole session.
    // What cannot be read is a store failure (the server answers server-error), not a crash of the caller.
    private SessionInfo Read(string info, long beat)
    {
        try
        {
            return ClusterCodec.DecodeSession(info) with { LastHeartbeat = DateTimeOffset.FromUnixTimeMilliseconds(beat) };
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw _redis.Corrupt($"a session cannot be read: {ex.Message}");
        }
    }

    private static string Id(SessionId id) => id.Value.ToString("N");

    private static long Milliseconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds();
}
