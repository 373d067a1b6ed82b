using StackExchange.Redis;

namespace ChatRoom.Storage.Redis;

/// <summary>
/// Every key ChatRoom uses in Redis, named in one place. A user's keys are <c>{prefix}{{user}}:{what}</c>: the braces are
/// Redis Cluster's hash tag, so all of one user's keys share a slot and one script may touch them together. Keys that
/// belong to no user have no braces after the prefix, so they can never equal a user's key.
/// </summary>
/// <remarks>
/// The suffixes after <c>}:</c> contain no <c>}</c> and none ends another, so distinct users (whatever characters their
/// names hold) never share a key.
/// </remarks>
internal sealed class RedisKeys
{
    private const int MaxPrefixLength = 100;

    public RedisKeys(string prefix)
    {
        if (CheckPrefix(prefix) is { } problem)
        {
            throw new ArgumentException($"The key prefix {problem}", nameof(prefix));
        }

        Prefix = prefix;
        Lockouts = prefix + "lockouts";
    }

    public string Prefix { get; }

    /// <summary>Hash: <c>seq</c> the last sequence given (never reset, so never reused), <c>bytes</c> the UTF-8 bytes of the texts kept.</summary>
    public RedisKey MailboxCounters(string user) => UserKey(user, "mbox");

    /// <summary>Sorted set: member the 16-byte message id, score its sequence.</summary>
    public RedisKey MailboxOrder(string user) => UserKey(user, "order");

    /// <summary>Hash: field the 16-byte message id, value the encoded message (see <see cref="MessageCodec"/>).</summary>
    public RedisKey MailboxMessages(string user) => UserKey(user, "msgs");

    /// <summary>Set: the users <paramref name="owner"/> has blocked.</summary>
    public RedisKey Blocks(string owner) => UserKey(owner, "blocks");

    /// <summary>Hash: field the lockout key, value its encoded <see cref="Auth.LockoutState"/> (see <see cref="RedisLockoutStore"/>).</summary>
    public RedisKey Lockouts { get; }

    /// <summary>Hash: the user's current session: <c>id</c>, <c>node</c>, <c>info</c> (the session as JSON) and <c>beat</c> (its last heartbeat, Unix ms).</summary>
    public RedisKey Session(string user) => UserKey(user, "session");

    /// <summary>Sorted set: member a user online anywhere, score their last heartbeat (Unix ms); the sweep reads the oldest.</summary>
    public RedisKey Online => Prefix + "online";

    /// <summary>Set: every node that renewed its lease or held a session since its lease last lapsed; signals for every node go to each.</summary>
    public RedisKey Nodes => Prefix + "nodes";

    /// <summary>Set: the users whose session <paramref name="node"/> holds (the presence scripts build the same name).</summary>
    public RedisKey NodeUsers(string node) => Prefix + "node-users:" + node;

    /// <summary>String with a time to live: present while <paramref name="node"/> is alive (the presence scripts build the same name).</summary>
    public RedisKey NodeLease(string node) => Prefix + "node:" + node;

    /// <summary>Set by the first sweep that finds <paramref name="node"/>'s lease gone; its age says how long it has been gone.</summary>
    public RedisKey NodeMissing(string node) => Prefix + "node-missing:" + node;

    /// <summary>A hash: when (Redis time, ms) a sweep last ran and when sweeping last resumed after a gap of over a lease.</summary>
    public RedisKey SweepClock => Prefix + "sweep-clock";

    /// <summary>
    /// String with a time to live: the consent question <paramref name="requester"/> asked <paramref name="target"/>. The
    /// requester's length comes first, so no two pairs of names make the same key.
    /// </summary>
    public RedisKey Consent(string requester, string target)
    {
        ArgumentNullException.ThrowIfNull(requester);
        ArgumentNullException.ThrowIfNull(target);
        return string.Concat(Prefix, "consent:", requester.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), ":{", requester, "}:", target);
    }

    /// <summary>Pub/sub channel: the signals for one node, whether sent to it alone or to all (the bus's script builds the same name).</summary>
    public RedisChannel NodeChannel(string node) => RedisChannel.Literal(Prefix + "bus:node:" + node);

    /// <summary>Why <paramref name="prefix"/> cannot be a key prefix, or null when it can.</summary>
    public static string? CheckPrefix(string? prefix) => prefix switch
    {
        null => "must be set (it may be empty).",
        { Length: > MaxPrefixLength } => $"must be at most {MaxPrefixLength} characters (was {prefix.Length}).",
        _ when prefix.AsSpan().IndexOfAny('{', '}') >= 0 => "must not contain { or } (they mark Redis Cluster hash tags).",
        _ => null,
    };

    private RedisKey UserKey(string user, string what)
    {
        ArgumentNullException.ThrowIfNull(user);
        return string.Concat(Prefix, "{", user, "}:", what);
    }
}
