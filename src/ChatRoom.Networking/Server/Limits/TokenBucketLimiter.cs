using System.Threading.RateLimiting;

namespace ChatRoom.Server;

/// <summary>
/// A token bucket as a <see cref="RateLimiter"/> that reads the time from a <see cref="TimeProvider"/> and refills lazily,
/// when asked. The framework's <see cref="TokenBucketRateLimiter"/> reads the stopwatch (so a fake clock cannot drive
/// it) and replenishes from a timer per instance (ten thousand idle connections, ten thousand timers); this one costs two
/// fields' arithmetic per request and nothing while idle. Requests that find no tokens are refused, never queued.
/// </summary>
/// <remarks>Not thread-safe, by design: each connection owns its buckets and asks from its read loop only, so no lock is needed.</remarks>
internal sealed class TokenBucketLimiter : RateLimiter
{
    private static readonly RateLimitLease s_acquired = new Lease(true, null);
    private readonly TimeProvider _time;
    private readonly double _capacity;
    private readonly double _tokensPerTick;
    private double _tokens;
    private long _last;

    /// <summary>A bucket of <paramref name="capacity"/> tokens, full at first, refilled at <paramref name="tokensPerSecond"/>.</summary>
    public TokenBucketLimiter(int capacity, double tokensPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokensPerSecond);
        _time = time;
        _capacity = capacity;
        _tokensPerTick = tokensPerSecond / time.TimestampFrequency;
        _tokens = capacity;
        _last = time.GetTimestamp();
    }

    /// <summary>Takes one token if there is one; otherwise says how long until there is.</summary>
    public bool TryTake(long now, out TimeSpan retryAfter)
    {
        Refill(now);
        if (_tokens >= 1)
        {
            _tokens -= 1;
            retryAfter = TimeSpan.Zero;
            return true;
        }

        retryAfter = TimeSpan.FromSeconds((1 - _tokens) / (_tokensPerTick * _time.TimestampFrequency));
        return false;
    }

    /// <inheritdoc />
    public override TimeSpan? IdleDuration
    {
        get
        {
            Refill(_time.GetTimestamp());
            return _tokens >= _capacity ? _time.GetElapsedTime(_last) : null;
        }
    }

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics()
    {
        Refill(_time.GetTimestamp());
        return new RateLimiterStatistics { CurrentAvailablePermits = (long)_tokens };
    }

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        Refill(_time.GetTimestamp());
        if (_tokens >= permitCount)
        {
            _tokens -= permitCount;
            return s_acquired;
        }

        return new Lease(false, TimeSpan.FromSeconds((permitCount - _tokens) / (_tokensPerTick * _time.TimestampFrequency)));
    }

    /// <inheritdoc />
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        => ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private void Refill(long now)
    {
        // Full buckets move their mark forward too, so tokens never pile up beyond the capacity.
        _tokens = Math.Min(_capacity, _tokens + ((now - _last) * _tokensPerTick));
        _last = now;
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter is { } after && metadataName == MetadataName.RetryAfter.Name ? after : null;
            return metadata is not null;
        }
    }
}
