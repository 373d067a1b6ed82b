using System.Globalization;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis;

/// <summary>
/// Each recipient's unacknowledged messages in Redis, shared by every node: a counter that numbers them (never reset,
/// so a sequence is never reused), a sorted set of ids by sequence and a hash of the messages by id, all under the
/// recipient's hash tag. Append, read and acknowledge are one script each, so each is atomic on the server: the limit
/// check and the append are one step however many nodes append at once.
/// </summary>
/// <remarks>
/// Appends issued one after another without awaiting are stored in the order they were issued: each call sends its
/// script before it returns, and one connection carries commands in order. Appending a message whose id already waits
/// for that recipient stores nothing and returns its sequence, so a retried append cannot store a message twice.
/// Every Redis failure is a <see cref="ChatStoreException"/>; a write then may or may not have happened, but none is
/// ever reported as done without Redis's reply.
/// </remarks>
public sealed class RedisOfflineStore : IOfflineStore
{
    // KEYS: counters, order, messages. ARGV: id, payload, text bytes, max messages, max bytes. Returns the sequence, or -1
    // when full. Its first write is the counter's: under maxmemory that fails and the script changes nothing.
    private const string AppendScript = """
        local seq = redis.call('ZSCORE', KEYS[2], ARGV[1])
        if seq then return tonumber(seq) end
        local size = tonumber(ARGV[3])
        local bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0')
        if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) or bytes > tonumber(ARGV[5]) - size then return -1 end
        seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
        redis.call('HINCRBY', KEYS[1], 'bytes', size)
        redis.call('ZADD', KEYS[2], seq, ARGV[1])
        redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
        return seq
        """;

    // KEYS: order, messages. ARGV: after, max. Returns id, sequence, payload for each message, flat.
    private const string ReadScript = """
        local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, ARGV[2])
        local page = {}
        for i = 1, #ids, 2 do
          page[#page + 1] = ids[i]
          page[#page + 1] = tonumber(ids[i + 1])
          page[#page + 1] = redis.call('HGET', KEYS[2], ids[i])
        end
        return page
        """;

    // KEYS: counters, order, messages. ARGV: ids. Bytes 2..5 of a payload are its text's size (MessageCodec). The total
    // is lowered before anything is removed: under maxmemory that write fails first and the script changes nothing.
    // Returns how many were removed.
    private const string AcknowledgeScript = """
        local found, freed = {}, 0
        for i = 1, #ARGV do
          local id = ARGV[i]
          if found[id] == nil then
            local payload = redis.call('HGET', KEYS[3], id)
            found[id] = payload ~= false
            if payload then
              local a, b, c, d = string.byte(payload, 2, 5)
              freed = freed + a + b * 256 + c * 65536 + d * 16777216
            end
          end
        end
        local removed = 0
        for id, present in pairs(found) do
          if present then
            if removed == 0 then redis.call('HINCRBY', KEYS[1], 'bytes', -freed) end
            redis.call('HDEL', KEYS[3], id)
            redis.call('ZREM', KEYS[2], id)
            removed = removed + 1
          end
        end
        return removed
        """;

    private readonly RedisGateway _redis;

    /// <summary>Keeps messages in <paramref name="redis"/>'s default database, under keys starting with <paramref name="keyPrefix"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="keyPrefix"/> is too long or holds <c>{</c> or <c>}</c>.</exception>
    public RedisOfflineStore(IConnectionMultiplexer redis, string keyPrefix = RedisChatRoomOptions.DefaultKeyPrefix)
        => _redis = new RedisGateway(redis, keyPrefix);

    /// <inheritdoc />
    /// <exception cref="ChatStoreException">Redis did not confirm the append (unreachable, too slow, or an error reply).</exception>
    public ValueTask<long?> TryAppendAsync(string recipient, ChatMessage message, MailboxLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(message);
        var keys = _redis.Keys;
        var payload = MessageCodec.Encode(message, out var size);
        RedisKey[] scriptKeys = [keys.MailboxCounters(recipient), keys.MailboxOrder(recipient), keys.MailboxMessages(recipient)];
        RedisValue[] values = [MessageCodec.EncodeId(message.Id), payload, size, limits.MaxMessages, limits.MaxBytes];
        // Issued here, synchronously: see the remarks on call order.
        var pending = _redis.RunAsync(
            (scriptKeys, values),
            static (db, s) => db.ScriptEvaluateAsync(AppendScript, s.scriptKeys, s.values),
            "store a message",
            cancellationToken);
        return pending.IsCompletedSuccessfully ? ValueTask.FromResult(ToSequence(pending.Result)) : AwaitSequenceAsync(pending);
    }

    /// <inheritdoc />
    /// <exception cref="ChatStoreException">Redis could not be read, or held a message ChatRoom cannot read.</exception>
    public async ValueTask<IReadOnlyList<StoredMessage>> ReadAsync(string recipient, long afterSequence, int max, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        var keys = _redis.Keys;
        RedisKey[] scriptKeys = [keys.MailboxOrder(recipient), keys.MailboxMessages(recipient)];
        RedisValue[] values = [afterSequence, max];
        var result = await _redis.RunAsync(
            (scriptKeys, values),
            static (db, s) => db.ScriptEvaluateAsync(ReadScript, s.scriptKeys, s.values),
            "read messages",
            cancellationToken).ConfigureAwait(false);
        var flat = (RedisResult[]?)result ?? throw _redis.Corrupt("reading messages returned no list");
        if (flat.Length % 3 != 0)
        {
            throw _redis.Corrupt("reading messages returned a list that is not id, sequence, message");
        }

        var page = new StoredMessage[flat.Length / 3];
        for (var i = 0; i < page.Length; i++)
        {
            var rawId = (byte[]?)flat[3 * i];
            var sequence = (long)flat[(3 * i) + 1];
            var payload = (byte[]?)flat[(3 * i) + 2];
            if (!MessageCodec.TryDecodeId(rawId, out var id) || payload is null || !MessageCodec.TryDecode(id, payload, out var message))
            {
                throw _redis.Corrupt(string.Create(CultureInfo.InvariantCulture, $"the message at sequence {sequence} for {recipient} cannot be read"));
            }

            page[i] = new StoredMessage(sequence, message!);
        }

        return page;
    }

    /// <inheritdoc />
    /// <exception cref="ChatStoreException">Redis did not confirm the removal.</exception>
    public async ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        var keys = _redis.Keys;
        RedisKey[] scriptKeys = [keys.MailboxCounters(recipient), keys.MailboxOrder(recipient), keys.MailboxMessages(recipient)];
        var values = new RedisValue[ids.Count];
        var i = 0;
        foreach (var id in ids)
        {
            values[i++] = MessageCodec.EncodeId(id);
        }

        await _redis.RunAsync(
            (scriptKeys, values),
            static (db, s) => db.ScriptEvaluateAsync(AcknowledgeScript, s.scriptKeys, s.values),
            "remove acknowledged messages",
            cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<long?> AwaitSequenceAsync(ValueTask<RedisResult> pending) => ToSequence(await pending.ConfigureAwait(false));

    private static long? ToSequence(RedisResult result)
    {
        var sequence = (long)result;
        return sequence < 0 ? null : sequence;
    }
}
