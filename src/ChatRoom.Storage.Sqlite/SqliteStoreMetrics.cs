using System.Diagnostics.Metrics;

namespace ChatRoom.Storage;

/// <summary>
/// The SQLite store's instruments, on the meter <see cref="MeterName"/> (docs/perf/metrics.md lists them). Recorded by
/// the writer loop once per commit, never per write; the queue gauge is read only when a listener asks.
/// </summary>
internal sealed class SqliteStoreMetrics : IDisposable
{
    /// <summary>The meter's name, for <c>dotnet-counters --counters</c> or an OpenTelemetry <c>AddMeter</c>.</summary>
    public const string MeterName = "ChatRoom.Storage";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly TimeProvider _time;
    private readonly Histogram<double> _commitDuration;
    private readonly Histogram<int> _commitWrites;
    private readonly Counter<long> _failedWrites;

    /// <summary>
    /// Creates the instruments on a meter from <paramref name="meterFactory"/>, or, without one (a store opened outside
    /// DI), on a meter of this instance's own, disposed with it. <paramref name="queued"/> reads the writes waiting.
    /// </summary>
    public SqliteStoreMetrics(IMeterFactory? meterFactory, Func<int> queued, TimeProvider? time = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _time = time ?? TimeProvider.System;
        _commitDuration = _meter.CreateHistogram("chatroom.store.commit.duration", "ms",
            "Time to apply one batch of writes and commit its transaction.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000] });
        _commitWrites = _meter.CreateHistogram("chatroom.store.commit.writes", "{write}",
            "Writes (message appends, acknowledgement batches, block and lockout changes) that shared one commit.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096] });
        _failedWrites = _meter.CreateCounter<long>("chatroom.store.write.failures", "{write}",
            "Writes that failed because their batch could not be committed (each caller was told).");
        _meter.CreateObservableGauge("chatroom.store.queue", () => (long)queued(), "{write}",
            "Writes waiting for the writer loop.");
    }

    /// <summary>A timestamp to pass to <see cref="Committed"/> or <see cref="Failed"/>.</summary>
    public long Start() => _time.GetTimestamp();

    /// <summary>A batch of <paramref name="writes"/> begun at <paramref name="started"/> has committed.</summary>
    public void Committed(int writes, long started)
    {
        if (_commitDuration.Enabled)
        {
            _commitDuration.Record(_time.GetElapsedTime(started).TotalMilliseconds);
        }

        _commitWrites.Record(writes);
    }

    /// <summary>A batch of <paramref name="writes"/> could not be committed.</summary>
    public void Failed(int writes) => _failedWrites.Add(writes);

    /// <inheritdoc />
    public void Dispose()
    {
        // A factory's meter is the factory's to dispose.
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
