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
