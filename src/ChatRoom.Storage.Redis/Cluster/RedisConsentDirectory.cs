using ChatRoom.Consent;
using ChatRoom.Presence;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Cluster;

/// <summary>
/// The consent questions of the whole cluster: one key per requester and target, set only if absent and with a lifetime,
/// so a question whose asking node died is forgotten. Its value starts with the target session's id and the question's
/// id, which the scripts compare, then the question itself.
/// </summary>
internal sealed class RedisConsentDirectory : IConsentDirectory
{
    private const int IdLength = 32;

    // KEYS: the question. ARGV: the target session's id. Takes it only when it was asked of that session.
    private const string TakeScript = """
        local v = redis.call('GET', KEYS[1])
        if not v or string.sub(v, 1, 32) ~= ARGV[1] then return false end
        redis.call('DEL', KEYS[1])
        return v
        """;

    // KEYS: the question. ARGV: the question's id. Removes exactly that question, not a later one between the same users.
    private const string RemoveScript = """
        local v = redis.call('GET', KEYS[1])
        if not v or string.sub(v, 33, 64) ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[1])
        return 1
        """;

    private readonly RedisGateway _redis;

    public RedisConsentDirectory(RedisGateway redis) => _redis = redis;

    public ValueTask<bool> TryAddAsync(ConsentQuestion question, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        var value = string.Concat(question.Target.Id.Value.ToString("N"), question.Id.ToString("N"), ClusterCodec.EncodeQuestion(question));
        return _redis.RunAsync(
            (key: Key(question.Requester.User, question.Target.User), value, lifetime),
            static (db, s) => db.StringSetAsync(s.key, s.value, s.lifetime, When.NotExists),
            "record a consent question",
            cancellationToken);
    }

    public async ValueTask<ConsentQuestion?> TryTakeAsync(string requester, string target, SessionId targetSession, CancellationToken cancellationToken = default)
    {
        var result = await _redis.ScriptAsync(TakeScript, [Key(requester, target)], [targetSession.Value.ToString("N")], "answer a consent question", cancellationToken).ConfigureAwait(false);
        if (result.IsNull)
        {
            return null;
        }

        // What cannot be read is a store failure (the server answers server-error), not a crash of the caller.
        try
        {
            return ClusterCodec.DecodeQuestion(result.ToString()[(2 * IdLength)..]);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw _redis.Corrupt($"the consent question {requester} asked {target} cannot be read: {ex.Message}");
        }
    }

    public async ValueTask<bool> TryRemoveAsync(ConsentQuestion question, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        var result = await _redis.ScriptAsync(RemoveScript, [Key(question.Requester.User, question.Target.User)], [question.Id.ToString("N")], "end a consent question", cancellationToken).ConfigureAwait(false);
        return (long)result == 1;
    }

    private RedisKey Key(string requester, string target) => _redis.Keys.Consent(requester, target);
}
