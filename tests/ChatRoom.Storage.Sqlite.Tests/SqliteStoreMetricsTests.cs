using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace ChatRoom.Storage.Sqlite.Tests;

/// <summary>The store's instruments, on a meter factory of the test's own, after real writes to a real file.</summary>
public sealed class SqliteStoreMetricsTests : IDisposable
{
    private readonly TemporaryDataFile _file = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private IMeterFactory Factory => _services.GetRequiredService<IMeterFactory>();

    public void Dispose()
    {
        _services.Dispose();
        _file.Dispose();
    }

    [Fact]
    public async Task One_append_is_recorded_as_one_commit_of_one_write_with_its_duration()
    {
        using var writes = Collect<int>("chatroom.store.commit.writes");
        using var duration = Collect<double>("chatroom.store.commit.duration");
        await using var store = await SqliteChatStore.OpenAsync(_file.Path, Factory);

        await store.AppendAsync("seas", Messages.To("seas", "hello"));

        Assert.Equal([1], writes.GetMeasurementSnapshot().Select(m => m.Value));
        var commit = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.InRange(commit.Value, 0, TimeSpan.FromSeconds(30).TotalMilliseconds);
    }

    [Fact]
    public async Task Concurrent_writes_share_commits_and_each_is_counted_once()
    {
        using var writes = Collect<int>("chatroom.store.commit.writes");
        await using var store = await SqliteChatStore.OpenAsync(_file.Path, Factory);

        await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => store.AppendAsync($"user{i % 7}", Messages.To($"user{i % 7}", $"m{i}")).AsTask()));

        var commits = writes.GetMeasurementSnapshot();
        Assert.Equal(2000, commits.Sum(m => m.Value));
        Assert.True(commits.Count < 2000, $"{commits.Count} commits for 2000 writes: none were grouped");
    }

    [Fact]
    public async Task A_batch_that_cannot_be_committed_counts_its_writes_as_failures_and_no_commit()
    {
        using var writes = Collect<int>("chatroom.store.commit.writes");
        using var failures = Collect<long>("chatroom.store.write.failures");
        await using var store = await SqliteChatStore.OpenAsync(_file.Path, Factory);
        await ExecuteAsync("CREATE TRIGGER refuse_messages BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk full'); END;");

        await Assert.ThrowsAsync<ChatStoreException>(async () => await store.AppendAsync("seas", Messages.To("seas", "lost")));

        Assert.Equal([1L], failures.GetMeasurementSnapshot().Select(m => m.Value));
        Assert.Empty(writes.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task Writes_waiting_behind_a_busy_file_show_in_the_queue_gauge()
    {
        using var queue = Collect<long>("chatroom.store.queue");
        await using var store = await SqliteChatStore.OpenAsync(_file.Path, Factory);
        await using var other = new SqliteConnection($"Data Source={_file.Path};Pooling=False");
        await other.OpenAsync();
        var hold = other.BeginTransaction();
        using (var write = other.CreateCommand())
        {
            // Another writer holds the file's write lock: the store's writer loop waits on it with its first batch.
            write.Transaction = hold;
            write.CommandText = "INSERT INTO blocks (owner, target) VALUES ('x', 'y')";
            await write.ExecuteNonQueryAsync();
        }

        var first = store.AppendAsync("seas", Messages.To("seas", "first")).AsTask();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Observe(queue) > 0)
        {
            await Task.Delay(5, timeout.Token); // until the writer loop has taken the first write
        }

        var waiting = Enumerable.Range(0, 10).Select(i => store.AppendAsync("seas", Messages.To("seas", $"m{i}")).AsTask()).ToList();

        Assert.Equal(10, Observe(queue));
        hold.Rollback();
        hold.Dispose();
        await Task.WhenAll(waiting.Append(first));
        Assert.Equal(0, Observe(queue));
    }

    private static long Observe(MetricCollector<long> gauge)
    {
        gauge.RecordObservableInstruments();
        return gauge.LastMeasurement?.Value ?? -1;
    }

    private MetricCollector<T> Collect<T>(string instrument)
        where T : struct
        => new(Factory, "ChatRoom.Storage", instrument);

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_file.Path};Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
