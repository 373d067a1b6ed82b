using System.Diagnostics;
using System.Globalization;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ChatRoom.Storage.Sqlite.Tests;

/// <summary>The store keeps messages in the file, not in memory, and is as quick on the hot path as it was.</summary>
public sealed class PagingTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDataFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    [Trait("Category", "Load")]
    public async Task Opening_a_store_of_twenty_thousand_4_KB_messages_and_reading_a_page_does_not_take_their_size_in_memory()
    {
        const int Total = 20_000;
        await (await _file.OpenAsync()).DisposeAsync();
        await FillAsync(Total);
        var before = GC.GetTotalMemory(forceFullCollection: true);

        await using var store = await _file.OpenAsync();
        var page = await store.ReadAsync("seas", Total / 2, 256);
        var after = GC.GetTotalMemory(forceFullCollection: true);

        GC.KeepAlive(page);
        Assert.Equal(256, page.Count);
        Assert.Equal(Total / 2 + 1, page[0].Sequence);
        var grown = after - before;
        output.WriteLine($"managed memory grew by {grown / 1024} KiB for {Total} messages of 4,000 bytes ({Total * 4000L / 1024 / 1024} MiB) kept");
        // The page itself is 256 messages of 4,000 characters (2 MiB as strings); the rest must not grow with the file.
        Assert.True(grown < 8 * 1024 * 1024, $"managed memory grew by {grown} bytes");
    }

    [Fact]
    [Trait("Category", "Load")]
    public async Task A_page_anywhere_in_a_large_box_reads_quickly()
    {
        const int Total = 20_000;
        await (await _file.OpenAsync()).DisposeAsync();
        await FillAsync(Total);
        await using var store = await _file.OpenAsync();
        var random = new Random(3);
        await store.ReadAsync("seas", 0, 256);

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 50; i++)
        {
            var cursor = random.Next(Total - 256);
            var page = await store.ReadAsync("seas", cursor, 256);
            Assert.Equal(cursor + 1, page[0].Sequence);
        }

        clock.Stop();
        output.WriteLine($"50 pages of 256 x 4,000 bytes at random places: {clock.Elapsed.TotalMilliseconds / 50:F2} ms a page");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    /// <summary>
    /// Throughput of the hot path as the server uses it (200 senders each awaiting its append, then pages of 256 read
    /// and acknowledged); prints its figures for the record. Uses only what the store had before paging, so the same
    /// test measures the old store too.
    /// </summary>
    [Fact]
    [Trait("Category", "Load")]
    public async Task Append_read_and_acknowledge_throughput_is_reported()
    {
        const int Senders = 200;
        const int Each = 100;
        await using var store = await _file.OpenAsync();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
        {
            var to = $"user{s}";
            for (var i = 0; i < Each; i++)
            {
                await store.AppendAsync(to, Message(to, i));
            }
        })));
        var appended = clock.Elapsed;

        clock.Restart();
        var read = 0;
        for (var s = 0; s < Senders; s++)
        {
            long cursor = 0;
            while (await store.ReadAsync($"user{s}", cursor, 256) is { Count: > 0 } page)
            {
                read += page.Count;
                cursor = page[^1].Sequence;
                await store.AcknowledgeAsync($"user{s}", page.Select(p => p.Message.Id).ToList());
            }
        }

        var drained = clock.Elapsed;
        output.WriteLine($"append: {Senders * Each / appended.TotalSeconds:F0} msgs/s ({Senders} concurrent senders); read+ack: {read / drained.TotalSeconds:F0} msgs/s");
        Assert.Equal(Senders * Each, read);
    }

    private static ChatMessage Message(string to, int i)
        => new(MessageId.New(TimeProvider.System), MessageKind.Direct, "columbia", to, "m" + i.ToString(CultureInfo.InvariantCulture).PadLeft(62, '0'), DateTimeOffset.UnixEpoch);

    /// <summary>Fills seas's box straight through SQL, in one transaction: the test is about opening and reading, not writing.</summary>
    private async Task FillAsync(int count)
    {
        await using var connection = new SqliteConnection($"Data Source={_file.Path};Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})
            INSERT INTO messages (recipient, id, kind, sender, text, sent_at, rseq)
            SELECT 'seas', lower(hex(randomblob(16))), 0, 'columbia', hex(randomblob(2000)), 1795000000000, i FROM n;
            """;
        await command.ExecuteNonQueryAsync();
    }
}
