using BenchmarkDotNet.Attributes;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Storage;

namespace ChatRoom.Benchmarks;

/// <summary>The in-memory store: one append and its acknowledgement, the steady state of a read conversation.</summary>
[MemoryDiagnoser]
public class InMemoryStoreBenchmarks
{
    private readonly InMemoryOfflineStore _store = new();
    private readonly ChatMessage _message = Samples.Message(TimeProvider.System);
    private readonly MessageId[] _ack = new MessageId[1];

    [GlobalSetup]
    public void Setup() => _ack[0] = _message.Id;

    [Benchmark]
    public async Task<long?> Append_and_acknowledge_one()
    {
        var sequence = await _store.TryAppendAsync("bob", _message, MailboxLimits.None).ConfigureAwait(false);
        await _store.AcknowledgeAsync("bob", _ack).ConfigureAwait(false);
        return sequence;
    }
}

/// <summary>
/// The SQLite store on a temporary file: 1,000 appends (or acknowledgements) issued at once and awaited together, so
/// group commit can share commits between them, as concurrent connections do. Figures are per message.
/// </summary>
[MemoryDiagnoser]
public class SqliteStoreBenchmarks
{
    private const int Batch = 1_000;
    private const int AckLine = 128;
    private readonly ChatMessage[] _messages = new ChatMessage[Batch];
    private readonly Task[] _pending = new Task[Batch];
    private DirectoryInfo _folder = null!;
    private SqliteChatStore _store = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _folder = Directory.CreateTempSubdirectory("chatroom-benchmarks-");
        _store = await SqliteChatStore.OpenAsync(Path.Combine(_folder.FullName, "bench.db")).ConfigureAwait(false);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _store.DisposeAsync().ConfigureAwait(false);
        _folder.Delete(recursive: true);
    }

    [IterationSetup(Target = nameof(Append_1000_at_once))]
    public void NewMessages()
    {
        for (var i = 0; i < Batch; i++)
        {
            _messages[i] = Samples.Message(TimeProvider.System);
        }
    }

    [IterationCleanup(Target = nameof(Append_1000_at_once))]
    public void RemoveMessages() => _store.AcknowledgeAsync("bob", [.. _messages.Select(m => m.Id)]).AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task Append_1000_at_once()
    {
        for (var i = 0; i < Batch; i++)
        {
            _pending[i] = _store.TryAppendAsync("bob", _messages[i], MailboxLimits.None).AsTask();
        }

        return Task.WhenAll(_pending);
    }

    [IterationSetup(Targets = [nameof(Acknowledge_1000_one_id_each_at_once), nameof(Acknowledge_1000_in_ack_lines_of_128)])]
    public void StoreMessages()
    {
        NewMessages();
        for (var i = 0; i < Batch; i++)
        {
            _pending[i] = _store.TryAppendAsync("bob", _messages[i], MailboxLimits.None).AsTask();
        }

        Task.WhenAll(_pending).GetAwaiter().GetResult();
    }

    /// <summary>Each acknowledgement on its own, as 1,000 recipients each acknowledging one message.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public Task Acknowledge_1000_one_id_each_at_once()
    {
        for (var i = 0; i < Batch; i++)
        {
            _pending[i] = _store.AcknowledgeAsync("bob", [_messages[i].Id]).AsTask();
        }

        return Task.WhenAll(_pending);
    }

    /// <summary>The ids in batches of 128, as the SDK sends them in one ack line.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public Task Acknowledge_1000_in_ack_lines_of_128()
    {
        var lines = new List<Task>();
        for (var start = 0; start < Batch; start += AckLine)
        {
            var ids = _messages.AsSpan(start, Math.Min(AckLine, Batch - start)).ToArray().Select(m => m.Id).ToArray();
            lines.Add(_store.AcknowledgeAsync("bob", ids).AsTask());
        }

        return Task.WhenAll(lines);
    }
}
