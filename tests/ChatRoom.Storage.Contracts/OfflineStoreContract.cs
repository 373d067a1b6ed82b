using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ChatRoom.Messaging;
using ChatRoom.Offline;

namespace ChatRoom.Storage.Contracts;

/// <summary>What every <see cref="IOfflineStore"/> does, whatever keeps the messages.</summary>
public abstract class OfflineStoreContract : StoreContract<IOfflineStore>
{
    /// <summary>
    /// Processor time a hundred thousand messages may cost, appended, read one at a time and acknowledged: enough for
    /// any store that finds its cursor by index, far short of one that scans the queue per read (minutes).
    /// </summary>
    protected virtual TimeSpan BulkProcessorBudget => TimeSpan.FromSeconds(20);

    /// <summary>Processor time used so far by this process and, for a store that runs in a server of its own, by that server.</summary>
    protected virtual TimeSpan ProcessorTime() => Environment.CpuUsage.TotalTime;

    [Fact]
    public async Task Messages_come_back_in_append_order_and_stay_until_acknowledged()
    {
        var a = Messages.To("seas", "one");
        var b = Messages.To("seas", "two");
        await Store.AppendAsync("seas", a);
        await Store.AppendAsync("seas", b);

        Assert.Equal([a, b], await Store.MessagesAsync("seas"));
        Assert.Equal([a, b], await Store.MessagesAsync("seas"));
    }

    [Fact]
    public async Task Consecutive_appends_to_a_recipient_get_consecutive_sequences_of_at_least_one()
    {
        var first = await Store.AppendAsync("seas", Messages.To("seas", "one"));
        var second = await Store.AppendAsync("seas", Messages.To("seas", "two"));
        var third = await Store.AppendAsync("seas", Messages.To("seas", "three"));

        Assert.True(first >= 1, $"the first sequence was {first}");
        Assert.Equal([first, first + 1, first + 2], [first, second, third]);
        Assert.Equal([first, second, third], (await Store.ReadAsync("seas", 0, 10)).Select(s => s.Sequence));
    }

    [Fact]
    public async Task Each_recipient_has_its_own_sequence_and_queue()
    {
        var first = await Store.AppendAsync("seas", Messages.To("seas", "one"));
        await Store.AppendAsync("foobar", Messages.To("foobar", "other"));
        var second = await Store.AppendAsync("seas", Messages.To("seas", "two"));

        Assert.Equal(first + 1, second);
        Assert.Equal(["one", "two"], (await Store.MessagesAsync("seas")).Select(m => m.Text));
        Assert.Equal(["other"], (await Store.MessagesAsync("foobar")).Select(m => m.Text));
    }

    [Fact]
    public async Task Reading_after_a_sequence_continues_with_the_next_message()
    {
        var first = await Store.AppendAsync("seas", Messages.To("seas", "one"));
        await Store.AppendAsync("seas", Messages.To("seas", "two"));
        var last = await Store.AppendAsync("seas", Messages.To("seas", "three"));

        Assert.Equal(["two", "three"], (await Store.ReadAsync("seas", first, 10)).Select(s => s.Message.Text));
        Assert.Empty(await Store.ReadAsync("seas", last, 10));
        Assert.Empty(await Store.ReadAsync("seas", last + 100, 10));
    }

    [Fact]
    public async Task Reading_returns_at_most_the_number_asked()
    {
        await Store.AppendAsync("seas", Messages.To("seas", "one"));
        await Store.AppendAsync("seas", Messages.To("seas", "two"));
        await Store.AppendAsync("seas", Messages.To("seas", "three"));

        var page = await Store.ReadAsync("seas", 0, 2);

        Assert.Equal(["one", "two"], page.Select(s => s.Message.Text));
        Assert.Equal(["three"], (await Store.ReadAsync("seas", page[^1].Sequence, 2)).Select(s => s.Message.Text));
    }

    [Fact]
    public async Task A_cursor_stays_in_place_when_the_message_at_it_or_before_it_is_acknowledged()
    {
        var a = Messages.To("seas", "one");
        var b = Messages.To("seas", "two");
        await Store.AppendAsync("seas", a);
        var cursor = await Store.AppendAsync("seas", b);
        await Store.AppendAsync("seas", Messages.To("seas", "three"));

        await Store.AcknowledgeAsync("seas", [a.Id, b.Id]);

        Assert.Equal(["three"], (await Store.ReadAsync("seas", cursor, 10)).Select(s => s.Message.Text));
        Assert.Equal(["three"], (await Store.MessagesAsync("seas")).Select(m => m.Text));
    }

    [Fact]
    public async Task Sequences_are_not_reused_after_everything_is_acknowledged()
    {
        var a = Messages.To("seas", "one");
        var first = await Store.AppendAsync("seas", a);
        await Store.AcknowledgeAsync("seas", [a.Id]);

        Assert.True(await Store.AppendAsync("seas", Messages.To("seas", "two")) > first);
    }

    [Fact]
    public async Task Acknowledging_removes_only_the_listed_messages_of_that_recipient()
    {
        var a = Messages.To("seas", "one");
        var b = Messages.To("seas", "two");
        var other = Messages.To("foobar", "other");
        await Store.AppendAsync("seas", a);
        await Store.AppendAsync("seas", b);
        await Store.AppendAsync("foobar", other);

        await Store.AcknowledgeAsync("seas", [a.Id, other.Id, MessageId.New(TimeProvider.System)]);

        Assert.Equal([b], await Store.MessagesAsync("seas"));
        Assert.Equal([other], await Store.MessagesAsync("foobar"));
    }

    [Fact]
    public async Task A_recipient_with_nothing_stored_reads_nothing_and_acknowledges_harmlessly()
    {
        await Store.AcknowledgeAsync("nobody", [MessageId.New(TimeProvider.System)]);
        await Store.AcknowledgeAsync("nobody", []);

        Assert.Empty(await Store.ReadAsync("nobody", 0, 10));
    }

    [Fact]
    public async Task Bad_arguments_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Store.ReadAsync("seas", 0, 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Store.ReadAsync("seas", 0, -1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Store.ReadAsync("seas", -1, 10));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await Store.AppendAsync("seas", null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await Store.AcknowledgeAsync("seas", null!));
        Assert.Empty(await Store.ReadAsync("seas", 0, 10));
    }

    [Fact]
    public async Task Concurrent_appends_to_one_recipient_get_distinct_sequences_and_read_back_in_sequence_order()
    {
        const int Writers = 32;
        const int Each = 50;
        var appended = new ConcurrentDictionary<MessageId, long>();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < Each; i++)
            {
                var message = Messages.To("seas", $"{w}:{i}");
                appended[message.Id] = await Store.AppendAsync("seas", message);
            }
        })));

        var read = await Store.ReadAllAsync("seas", pageSize: 64);

        Assert.Equal(Writers * Each, appended.Values.Distinct().Count());
        Assert.Equal(appended.Values.Order(), read.Select(s => s.Sequence));
        Assert.All(read, s => Assert.Equal(appended[s.Message.Id], s.Sequence));
        // Each writer awaited its appends one by one, so its own messages keep their order.
        Assert.All(read.GroupBy(s => s.Message.Text.Split(':')[0]), writer =>
            Assert.Equal(Enumerable.Range(0, Each).Select(i => $"{writer.Key}:{i}"), writer.Select(s => s.Message.Text)));
    }

    [Fact]
    public async Task A_full_box_refuses_the_next_message_and_stores_nothing_of_it()
    {
        var limits = new MailboxLimits(MaxMessages: 2, MaxBytes: 1_000);
        var a = Messages.To("seas", "one");
        var b = Messages.To("seas", "two");
        Assert.NotNull(await Store.TryAppendAsync("seas", a, limits));
        Assert.NotNull(await Store.TryAppendAsync("seas", b, limits));

        Assert.Null(await Store.TryAppendAsync("seas", Messages.To("seas", "three"), limits));

        Assert.Equal([a, b], await Store.MessagesAsync("seas"));
    }

    [Fact]
    public async Task A_message_that_would_take_the_box_past_its_byte_limit_is_refused_and_a_smaller_one_still_fits()
    {
        var limits = new MailboxLimits(MaxMessages: 100, MaxBytes: 10);
        Assert.NotNull(await Store.TryAppendAsync("seas", Messages.To("seas", "ééé"), limits)); // 6 UTF-8 bytes

        Assert.Null(await Store.TryAppendAsync("seas", Messages.To("seas", "12345"), limits));
        Assert.NotNull(await Store.TryAppendAsync("seas", Messages.To("seas", "1234"), limits));
        Assert.Null(await Store.TryAppendAsync("seas", Messages.To("seas", "1"), limits));

        Assert.Equal(["ééé", "1234"], (await Store.MessagesAsync("seas")).Select(m => m.Text));
    }

    [Fact]
    public async Task Acknowledging_makes_room_in_a_full_box_by_count_and_by_bytes()
    {
        var limits = new MailboxLimits(MaxMessages: 2, MaxBytes: 8);
        var a = Messages.To("seas", "1234");
        await Store.TryAppendAsync("seas", a, limits);
        await Store.TryAppendAsync("seas", Messages.To("seas", "5678"), limits);
        Assert.Null(await Store.TryAppendAsync("seas", Messages.To("seas", "9"), limits));

        await Store.AcknowledgeAsync("seas", [a.Id, a.Id, MessageId.New(TimeProvider.System)]); // repeats and strangers free nothing more

        Assert.NotNull(await Store.TryAppendAsync("seas", Messages.To("seas", "9abc"), limits));
        Assert.Null(await Store.TryAppendAsync("seas", Messages.To("seas", "d"), limits));
        Assert.Equal(["5678", "9abc"], (await Store.MessagesAsync("seas")).Select(m => m.Text));
    }

    [Fact]
    public async Task A_full_box_leaves_other_recipients_and_unlimited_appends_alone()
    {
        var limits = new MailboxLimits(MaxMessages: 1, MaxBytes: 1_000);
        await Store.TryAppendAsync("seas", Messages.To("seas", "one"), limits);
        Assert.Null(await Store.TryAppendAsync("seas", Messages.To("seas", "two"), limits));

        Assert.NotNull(await Store.TryAppendAsync("foobar", Messages.To("foobar", "other"), limits));
        await Store.AppendAsync("seas", Messages.To("seas", "unlimited"));

        Assert.Equal(["other"], (await Store.MessagesAsync("foobar")).Select(m => m.Text));
        Assert.Equal(["one", "unlimited"], (await Store.MessagesAsync("seas")).Select(m => m.Text));
    }

    [Fact]
    public async Task Concurrent_senders_cannot_take_a_box_past_its_limit()
    {
        const int Limit = 25;
        var limits = new MailboxLimits(MaxMessages: Limit, MaxBytes: 1_000_000);
        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
            await Store.TryAppendAsync("seas", Messages.To("seas", i.ToString(CultureInfo.InvariantCulture)), limits))));

        Assert.Equal(Limit, results.Count(r => r is not null));
        Assert.Equal(Limit, (await Store.ReadAllAsync("seas")).Count);
        Assert.Equal(results.Where(r => r is not null).Order(), (await Store.ReadAllAsync("seas")).Select(s => (long?)s.Sequence));
    }

    [Fact]
    [Trait("Category", "Load")]
    public async Task A_hundred_thousand_messages_append_read_and_acknowledge_in_bounded_time()
    {
        const int Total = 100_000;
        const int InFlight = 1_000;
        const int AcknowledgeEvery = 256;
        var clock = Stopwatch.StartNew();
        var processorTime = ProcessorTime();
        var sequences = new Dictionary<MessageId, long>(Total);
        for (var start = 0; start < Total; start += InFlight)
        {
            var messages = Enumerable.Range(start, InFlight).Select(i => Messages.To("seas", i.ToString(CultureInfo.InvariantCulture))).ToList();
            var appended = await Task.WhenAll(messages.Select(m => Store.AppendAsync("seas", m).AsTask()));
            for (var i = 0; i < messages.Count; i++)
            {
                sequences.Add(messages[i].Id, appended[i]);
            }
        }

        // One message a read, the worst case for a store that walks its queue to find the cursor; acknowledged in
        // batches, as a session does. A scan per read or per acknowledged id makes this take minutes, not seconds.
        long cursor = 0;
        var seen = 0;
        var taken = new List<MessageId>(AcknowledgeEvery);
        while (await Store.ReadAsync("seas", cursor, 1) is [var stored])
        {
            Assert.True(stored.Sequence > cursor);
            Assert.Equal(sequences[stored.Message.Id], stored.Sequence);
            cursor = stored.Sequence;
            seen++;
            taken.Add(stored.Message.Id);
            if (taken.Count == AcknowledgeEvery)
            {
                await Store.AcknowledgeAsync("seas", taken);
                taken = new List<MessageId>(AcknowledgeEvery);
            }
        }

        await Store.AcknowledgeAsync("seas", taken);
        processorTime = ProcessorTime() - processorTime;
        clock.Stop();

        Assert.Equal(Total, seen);
        Assert.Empty(await Store.ReadAsync("seas", 0, 10));
        // Processor time (of this process and the store's own, see ProcessorTime), so that a machine busy with other
        // work does not fail it; wall time only has to show that it ends.
        Assert.True(processorTime < BulkProcessorBudget, $"used {processorTime} of processor time in {clock.Elapsed} (budget {BulkProcessorBudget})");
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), $"took {clock.Elapsed}"); // 13 s alone; 2 min on a box three times oversubscribed
    }
}
