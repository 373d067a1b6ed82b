using System.Diagnostics;
using System.Globalization;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace ChatRoom.Storage.Redis.Tests;

/// <summary>What the Redis message store does beyond the contract: several nodes, call order, exact encoding, damage.</summary>
public sealed class RedisOfflineStoreBehaviourTests(RedisServer server, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    private readonly string _prefix = RedisServer.NewKeyPrefix();

    [Fact]
    public async Task Appends_issued_without_awaiting_are_stored_in_call_order()
    {
        using var node = await server.ConnectAsync();
        IOfflineStore store = new RedisOfflineStore(node, _prefix);
        var messages = Enumerable.Range(0, 2_000).Select(i => Messages.To("seas", i.ToString(CultureInfo.InvariantCulture))).ToList();

        var pending = new List<Task<long>>(messages.Count);
        foreach (var message in messages)
        {
            pending.Add(store.AppendAsync("seas", message).AsTask()); // issued one after another, none awaited yet
        }

        var sequences = await Task.WhenAll(pending);

        Assert.Equal(Enumerable.Range(0, messages.Count).Select(i => sequences[0] + i), sequences);
        Assert.Equal(messages, (await store.ReadAllAsync("seas")).Select(s => s.Message));
    }

    [Fact]
    public async Task Concurrent_appends_from_several_nodes_never_take_a_box_past_its_limits()
    {
        const int Nodes = 3;
        const int TasksPerNode = 4;
        const int AppendsPerTask = 60;
        var limits = new MailboxLimits(MaxMessages: 100, MaxBytes: 400);
        var nodes = await Task.WhenAll(Enumerable.Range(0, Nodes).Select(_ => server.ConnectAsync()));
        try
        {
            var stores = nodes.Select(n => (IOfflineStore)new RedisOfflineStore(n, _prefix)).ToArray();
            var stored = new System.Collections.Concurrent.ConcurrentBag<(long Sequence, ChatMessage Message)>();
            await Task.WhenAll(Enumerable.Range(0, Nodes * TasksPerNode).Select(t => Task.Run(async () =>
            {
                var store = stores[t % Nodes];
                for (var i = 0; i < AppendsPerTask; i++)
                {
                    // 1 to 8 bytes each, half of them two-byte characters.
                    var message = Messages.To("seas", new string(i % 2 == 0 ? 'é' : 'x', 1 + ((t + i) % 4)));
                    if (await store.TryAppendAsync("seas", message, limits) is { } sequence)
                    {
                        stored.Add((sequence, message));
                    }
                }
            })));

            var read = await stores[0].ReadAllAsync("seas");
            var bytes = read.Sum(s => System.Text.Encoding.UTF8.GetByteCount(s.Message.Text));
            Assert.InRange(read.Count, 1, limits.MaxMessages);
            Assert.InRange(bytes, 1, limits.MaxBytes);
            // Far more is offered than fits, so the box ends full by one limit or the other (a message is at most 8 bytes).
            Assert.True(read.Count == limits.MaxMessages || bytes > limits.MaxBytes - 8, $"the box stopped at {read.Count} messages and {bytes} bytes, with room left");
            Assert.Equal(stored.OrderBy(s => s.Sequence).Select(s => s.Message), read.Select(s => s.Message));
            Assert.Equal(bytes, (long)await nodes[0].GetDatabase().HashGetAsync(_prefix + "{seas}:mbox", "bytes"));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Every_field_of_a_message_comes_back_exactly()
    {
        using var node = await server.ConnectAsync();
        IOfflineStore store = new RedisOfflineStore(node, _prefix);
        ChatMessage[] sent =
        [
            new(MessageId.New(TimeProvider.System), MessageKind.Direct, "séas", "cölumbia", "héllo 👋 мир 世界 \u0000 tab\tend", new DateTimeOffset(2026, 11, 27, 8, 0, 0, 123, TimeSpan.FromMinutes(345)).AddTicks(4567)),
            new(MessageId.New(TimeProvider.System), MessageKind.Broadcast, "columbia", null, "to everyone", DateTimeOffset.MinValue),
            new(MessageId.New(TimeProvider.System), MessageKind.Private, "c{ol}umbia", "", "", DateTimeOffset.MaxValue),
            new(MessageId.New(TimeProvider.System), MessageKind.Direct, new string('n', 64), "seas", new string('€', 40_000), new DateTimeOffset(1999, 1, 2, 3, 4, 5, TimeSpan.FromHours(-14))),
        ];
        foreach (var message in sent)
        {
            await store.AppendAsync("seas", message);
        }

        var read = await store.MessagesAsync("seas");

        Assert.Equal(sent, read);
        Assert.Equal(sent.Select(m => m.SentAt.Offset), read.Select(m => m.SentAt.Offset));
        Assert.Equal(sent.Select(m => m.SentAt.Ticks), read.Select(m => m.SentAt.Ticks));
    }

    [Fact]
    public async Task Appending_a_message_that_already_waits_stores_it_once_and_returns_its_sequence()
    {
        using var node = await server.ConnectAsync();
        IOfflineStore store = new RedisOfflineStore(node, _prefix);
        var message = Messages.To("seas", "once");
        var first = await store.AppendAsync("seas", message);

        Assert.Equal(first, await store.AppendAsync("seas", message));

        Assert.Equal([message], await store.MessagesAsync("seas"));
        await store.AcknowledgeAsync("seas", [message.Id]);
        Assert.Equal(0, (long)await node.GetDatabase().HashGetAsync(_prefix + "{seas}:mbox", "bytes"));
    }

    [Fact]
    public async Task A_stored_message_that_cannot_be_read_is_a_store_error_naming_it()
    {
        using var node = await server.ConnectAsync();
        IOfflineStore store = new RedisOfflineStore(node, _prefix);
        var message = Messages.To("seas", "soon damaged");
        var sequence = await store.AppendAsync("seas", message);
        var field = new byte[16];
        message.Id.Value.TryWriteBytes(field, bigEndian: true, out _);
        await node.GetDatabase().HashSetAsync(_prefix + "{seas}:msgs", field, new byte[] { 9, 1, 2, 3 });

        var failure = await Assert.ThrowsAsync<ChatStoreException>(async () => await store.ReadAsync("seas", 0, 10));

        Assert.Contains($"sequence {sequence} for seas", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Users_whose_names_hold_braces_and_colons_keep_separate_boxes()
    {
        using var node = await server.ConnectAsync();
        IOfflineStore store = new RedisOfflineStore(node, _prefix);
        string[] users = ["a", "a}:order", "{a}", "a}:mbox", "a:b", "}"];
        foreach (var user in users)
        {
            await store.AppendAsync(user, Messages.To(user, "for " + user));
        }

        foreach (var user in users)
        {
            Assert.Equal(["for " + user], (await store.MessagesAsync(user)).Select(m => m.Text));
        }
    }

    [Fact]
    [Trait("Category", "Load")]
    public async Task A_hundred_thousand_messages_to_one_recipient_are_stored_read_in_order_and_acknowledged()
    {
        const int Total = 100_000;
        const int Batch = 1_000;
        using var node = await server.ConnectAsync();
        IOfflineStore store = new RedisOfflineStore(node, _prefix);
        var clock = Stopwatch.StartNew();
        var texts = new List<string>(Total);
        for (var start = 0; start < Total; start += Batch)
        {
            var batch = new Task<long>[Batch];
            for (var i = 0; i < Batch; i++)
            {
                var text = (start + i).ToString(CultureInfo.InvariantCulture);
                texts.Add(text);
                batch[i] = store.AppendAsync("seas", Messages.To("seas", text)).AsTask();
            }

            await Task.WhenAll(batch);
        }

        var appended = clock.Elapsed;
        var read = await store.ReadAllAsync("seas", pageSize: 500);
        var readTime = clock.Elapsed - appended;
        foreach (var page in read.Chunk(500))
        {
            await store.AcknowledgeAsync("seas", [.. page.Select(s => s.Message.Id)]);
        }

        clock.Stop();
        var acknowledged = clock.Elapsed - appended - readTime;
        output.WriteLine($"100,000 messages: appended in {appended.TotalSeconds:F2} s ({Total / appended.TotalSeconds:F0}/s, {Batch} in flight), read in pages of 500 in {readTime.TotalSeconds:F2} s, acknowledged in batches of 500 in {acknowledged.TotalSeconds:F2} s");

        Assert.Equal(texts, read.Select(s => s.Message.Text));
        Assert.True(read.Zip(read.Skip(1)).All(p => p.First.Sequence + 1 == p.Second.Sequence), "sequences are consecutive");
        Assert.Empty(await store.ReadAsync("seas", 0, 10));
        Assert.Equal(0, (long)await node.GetDatabase().HashGetAsync(_prefix + "{seas}:mbox", "bytes"));
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), $"took {clock.Elapsed}"); // about 9 s alone: only that it ends
    }
}
