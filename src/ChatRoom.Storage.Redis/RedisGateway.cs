using StackExchange.Redis;

namespace ChatRoom.Storage.Redis;

/// <summary>
/// What the Redis stores share: the database, the key names, and one way to issue a command so that every Redis failure
/// reaches the caller as a <see cref="ChatStoreException"/> (which the server answers with <c>server-error</c>).
/// </summary>
internal sealed class RedisGateway
{
    public RedisGateway(IConnectionMultiplexer redis, string keyPrefix)
    {
        ArgumentNullException.ThrowIfNull(redis);
        Keys = new RedisKeys(keyPrefix);
        Database = redis.GetDatabase();
        // The servers' addresses, never the configuration string: that may hold a password.
        Where = "redis " + string.Join(",", redis.GetEndPoints().Select(static e => e.ToString()));
    }

    public IDatabase Database { get; }

    public RedisKeys Keys { get; }

    /// <summary>The servers holding the data, as <see cref="ChatStoreException.Path"/> names them.</summary>
    public string Where { get; }

    /// <summary>
    /// Issues <paramref name="call"/> now, before returning (commands on one connection are sent in the order they are
    /// issued, which is how appends not awaited keep their order), and waits for its reply.
    /// </summary>
    public ValueTask<T> RunAsync<T, TState>(TState state, Func<IDatabase, TState, Task<T>> call, string what, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        Task<T> pending;
        try
        {
            pending = call(Database, state);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            return ValueTask.FromException<T>(Failure(what, ex));
        }

        return pending.IsCompletedSuccessfully ? ValueTask.FromResult(pending.Result) : WaitAsync(pending, what, cancellationToken);
    }

    /// <summary>Runs a Lua <paramref name="script"/> as <see cref="RunAsync"/> runs a command.</summary>
    public ValueTask<RedisResult> ScriptAsync(string script, RedisKey[] keys, RedisValue[] values, string what, CancellationToken cancellationToken)
        => RunAsync((script, keys, values), static (db, s) => db.ScriptEvaluateAsync(s.script, s.keys, s.values), what, cancellationToken);

    /// <summary>A failure reading what Redis holds: a value ChatRoom did not write, or wrote in a newer format.</summary>
    public ChatStoreException Corrupt(string problem) => new(Where, problem);

    private async ValueTask<T> WaitAsync<T>(Task<T> pending, string what, CancellationToken cancellationToken)
    {
        try
        {
            // Cancelling stops the wait, not the command: a write may still land, as with any store.
            return cancellationToken.CanBeCanceled
                ? await pending.WaitAsync(cancellationToken).ConfigureAwait(false)
                : await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            throw Failure(what, ex);
        }
    }

    private ChatStoreException Failure(string what, Exception ex) => new(Where, $"could not {what}: {ex.Message}", ex);

    // Connection lost or refused, no reply in time, or an error reply (MISCONF, OOM, READONLY, NOSCRIPT after a flush…).
    private static bool IsRedisFailure(Exception ex) => ex is RedisException or RedisTimeoutException;
}
