using ChatRoom.Messaging;
using ChatRoom.Offline;

namespace ChatRoom.Core.Tests.Offline;

public sealed class InMemoryOfflineStoreTests
{
    private readonly InMemoryOfflineStore _store = new();

    [Fact]
    public async Task Messages_come_back_in_arrival_order_and_stay_until_acknowledged()
    {
        var a = Message("one");
        var b = Message("two");
        await _store.AppendAsync("seas", a);
        await _store.AppendAsync("seas", b);

        Assert.Equal([a, b], await _store.MessagesAsync("seas", 10));
        Assert.Equal([a, b], await _store.MessagesAsync("seas", 10));
    }

    [Fact]
    public async Task Each_recipient_numbers_its_messages_one_two_three()
    {
        Assert.Equal(1, await _store.AppendAsync("seas", Message("one")));
        Assert.Equal(1, await _store.AppendAsync("foobar", Message("other")));
        Assert.Equal(2, await _store.AppendAsync("seas", Message("two")));
        Assert.Equal([1L, 2L], (await _store.ReadAsync("seas", 0, 10)).Select(s => s.Sequence));
    }

    [Fact]
    public async Task Read_returns_at_most_the_number_asked()
    {
        var a = Message("one");
        await _store.AppendAsync("seas", a);
        await _store.AppendAsync("seas", Message("two"));

        Assert.Equal([a], await _store.MessagesAsync("seas", 1));
    }

    [Fact]
    public async Task Read_after_a_sequence_continues_from_the_next_message()
    {
        await _store.AppendAsync("seas", Message("one"));
        await _store.AppendAsync("seas", Message("two"));
        await _store.AppendAsync("seas", Message("three"));

        Assert.Equal(["two", "three"], (await _store.ReadAsync("seas", 1, 10)).Select(s => s.Message.Text));
        Assert.Empty(await _store.ReadAsync("seas", 3, 10));
        Assert.Empty(await _store.ReadAsync("seas", 99, 10));
    }

    [Fact]
    public async Task A_cursor_stays_in_place_when_the_message_at_it_is_removed()
    {
        var a = Message("one");
        var b = Message("two");
        await _store.AppendAsync("seas", a);
        await _store.AppendAsync("seas", b);
        await _store.AppendAsync("seas", Message("three"));

        await _store.AcknowledgeAsync("seas", [b.Id]);

        Assert.Equal(["three"], (await _store.ReadAsync("seas", 2, 10)).Select(s => s.Message.Text));
        Assert.Equal(["one", "three"], (await _store.ReadAsync("seas", 0, 10)).Select(s => s.Message.Text));
    }

    [Fact]
    public async Task Sequences_are_not_reused_after_everything_is_acknowledged()
    {
        var a = Message("one");
        await _store.AppendAsync("seas", a);
        await _store.AcknowledgeAsync("seas", [a.Id]);

        Assert.Equal(2, await _store.AppendAsync("seas", Message("two")));
    }

    [Fact]
    public async Task Acknowledging_removes_only_the_listed_messages_of_that_recipient()
    {
        var a = Message("one");
        var b = Message("two");
        var other = Message("other");
        await _store.AppendAsync("seas", a);
        await _store.AppendAsync("seas", b);
        await _store.AppendAsync("foobar", other);

        await _store.AcknowledgeAsync("seas", [a.Id, other.Id, MessageId.New(TimeProvider.System)]);

        Assert.Equal([b], await _store.MessagesAsync("seas", 10));
        Assert.Equal([other], await _store.MessagesAsync("foobar", 10));
    }

    [Fact]
    public async Task A_user_with_nothing_stored_gets_nothing()
    {
        Assert.Empty(await _store.MessagesAsync("nobody", 10));
        await _store.AcknowledgeAsync("nobody", [MessageId.New(TimeProvider.System)]);
    }

    [Fact]
    public async Task Bad_arguments_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _store.ReadAsync("seas", 0, 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _store.ReadAsync("seas", -1, 10));
    }

    [Fact]
    [Trait("Category", "Load")]
    public async Task A_hundred_thousand_messages_page_and_acknowledge_in_order()
    {
        const int total = 100_000;
        for (var i = 0; i < total; i++)
        {
            await _store.AppendAsync("seas", Message(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        long cursor = 0;
        var seen = 0;
        while (await _store.ReadAsync("seas", cursor, 256) is { Count: > 0 } page)
        {
            Assert.Equal(seen.ToString(System.Globalization.CultureInfo.InvariantCulture), page[0].Message.Text);
            seen += page.Count;
            cursor = page[^1].Sequence;
            await _store.AcknowledgeAsync("seas", [.. page.Select(s => s.Message.Id)]);
        }

        Assert.Equal(total, seen);
        Assert.Empty(await _store.ReadAsync("seas", 0, 10));
    }

    private static ChatMessage Message(string text)
        => new(MessageId.New(TimeProvider.System), MessageKind.Direct, "columbia", "seas", text, CoreHarness.Start);
}
