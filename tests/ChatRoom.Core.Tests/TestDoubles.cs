using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Presence;
using Microsoft.Extensions.Logging;

namespace ChatRoom.Core.Tests;

/// <summary>
/// An offline store in front of a real one that counts reads, can hold reads or append completions open until released
/// (continuations run inline on release, so the session's pump has finished when <see cref="ReleaseReadsAsync"/> completes),
/// can fail reads, and can answer each read from one sequence earlier (a store that repeats the last message).
/// </summary>
internal sealed class GatedOfflineStore(IOfflineStore inner) : IOfflineStore
{
    private TaskCompletionSource? _reads;
    private TaskCompletionSource? _appends;
    private int _reading;
    private int _readsStarted;
    private int _maxConcurrentReads;
    private int _appendsStarted;

    public int Reads => Volatile.Read(ref _readsStarted);

    public int MaxConcurrentReads => Volatile.Read(ref _maxConcurrentReads);

    public int Appends => Volatile.Read(ref _appendsStarted);

    public Exception? FailReads { get; set; }

    public bool RepeatLast { get; set; }

    public void HoldReads() => _reads = new TaskCompletionSource();

    // Released from a pool thread: a test thread's synchronization context would stop the waiting reads running inline.
    public Task ReleaseReadsAsync() => Task.Run(() => Interlocked.Exchange(ref _reads, null)?.TrySetResult());

    public void HoldAppends() => _appends = new TaskCompletionSource();

    public Task ReleaseAppendsAsync() => Task.Run(() => Interlocked.Exchange(ref _appends, null)?.TrySetResult());

    public async ValueTask<long?> TryAppendAsync(string recipient, ChatMessage message, MailboxLimits limits, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _appendsStarted);

        // Issued at once, in call order, as a pipelined remote store would; only the reply is held back.
        var sequence = await inner.TryAppendAsync(recipient, message, limits, cancellationToken);
        if (_appends is { } held)
        {
            await held.Task.ConfigureAwait(false);
        }

        return sequence;
    }

    public async ValueTask<IReadOnlyList<StoredMessage>> ReadAsync(string recipient, long afterSequence, int max, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _readsStarted);
        var reading = Interlocked.Increment(ref _reading);
        try
        {
            int seen;
            while (reading > (seen = Volatile.Read(ref _maxConcurrentReads)) && Interlocked.CompareExchange(ref _maxConcurrentReads, reading, seen) != seen)
            {
            }

            if (_reads is { } held)
            {
                await held.Task.ConfigureAwait(false);
            }

            if (FailReads is { } failure)
            {
                throw failure;
            }

            return RepeatLast && afterSequence > 0
                ? await inner.ReadAsync(recipient, afterSequence - 1, max, cancellationToken)
                : await inner.ReadAsync(recipient, afterSequence, max, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _reading);
        }
    }

    public ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default)
        => inner.AcknowledgeAsync(recipient, ids, cancellationToken);
}

/// <summary>Presence in front of a real one, counting the calls that cost a round trip to a shared directory.</summary>
internal sealed class CountingPresence(IPresenceService inner) : IPresenceService
{
    private int _finds;
    private int _logouts;

    public int Finds => Volatile.Read(ref _finds);

    public int Logouts => Volatile.Read(ref _logouts);

    public ValueTask<PresenceLogin> LoginAsync(SessionInfo session, CancellationToken cancellationToken = default) => inner.LoginAsync(session, cancellationToken);

    public ValueTask<bool> HeartbeatAsync(SessionId session, string user, CancellationToken cancellationToken = default) => inner.HeartbeatAsync(session, user, cancellationToken);

    public ValueTask<SessionInfo?> LogoutAsync(SessionId session, string user, LogoutReason reason, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _logouts);
        return inner.LogoutAsync(session, user, reason, cancellationToken);
    }

    public ValueTask<SessionInfo?> FindAsync(string user, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _finds);
        return inner.FindAsync(user, cancellationToken);
    }

    public ValueTask<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default) => inner.ListAsync(cancellationToken);

    public ValueTask<IReadOnlyList<SessionInfo>> SweepAsync(CancellationToken cancellationToken = default) => inner.SweepAsync(cancellationToken);
}

/// <summary>A consent directory in front of a real one that records the lifetimes asked for and counts removals.</summary>
internal sealed class RecordingConsentDirectory(IConsentDirectory inner) : IConsentDirectory
{
    private int _removes;

    public List<TimeSpan> Lifetimes { get; } = [];

    public int Removes => Volatile.Read(ref _removes);

    public ValueTask<bool> TryAddAsync(ConsentQuestion question, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        lock (Lifetimes)
        {
            Lifetimes.Add(lifetime);
        }

        return inner.TryAddAsync(question, lifetime, cancellationToken);
    }

    public ValueTask<ConsentQuestion?> TryTakeAsync(string requester, string target, SessionId targetSession, CancellationToken cancellationToken = default)
        => inner.TryTakeAsync(requester, target, targetSession, cancellationToken);

    public ValueTask<bool> TryRemoveAsync(ConsentQuestion question, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _removes);
        return inner.TryRemoveAsync(question, cancellationToken);
    }
}

/// <summary>A logger that keeps what was logged.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<(LogLevel Level, EventId Id, Exception? Exception)> _entries = [];

    public IReadOnlyList<(LogLevel Level, EventId Id, Exception? Exception)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((logLevel, eventId, exception));
        }
    }
}
