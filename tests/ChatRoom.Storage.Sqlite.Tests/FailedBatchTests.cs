using Microsoft.Data.Sqlite;

namespace ChatRoom.Storage.Sqlite.Tests;

/// <summary>A batch that cannot be stored fails each of its writes on its own.</summary>
public sealed class FailedBatchTests : IDisposable
{
    private readonly TemporaryDataFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task Every_write_of_a_failed_batch_gets_an_exception_of_its_own_with_a_short_stack_trace()
    {
        await using var store = await SqliteChatStore.OpenAsync(_file.Path);
        await using (var connection = new SqliteConnection($"Data Source={_file.Path};Pooling=False"))
        {
            await connection.OpenAsync();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TRIGGER refuse_messages BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk full'); END;";
            await command.ExecuteNonQueryAsync();
        }

        // Many writes share one batch; each caller rethrows what it was given. One shared object would gather every
        // rethrow's stack trace, so a log line per failure grew with the batch (48 MB of log for 1,000 writes).
        var writes = Enumerable.Range(0, 500).Select(i => store.AppendAsync("seas", Messages.To("seas", $"m{i}")).AsTask()).ToList();
        var failures = new List<ChatStoreException>();
        foreach (var write in writes)
        {
            failures.Add(await Assert.ThrowsAsync<ChatStoreException>(() => write));
        }

        Assert.Equal(500, failures.Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.All(failures, f => Assert.InRange(f.ToString().Length, 1, 20_000));
        Assert.All(failures, f => Assert.Contains("disk full", f.Message, StringComparison.Ordinal));
    }
}
