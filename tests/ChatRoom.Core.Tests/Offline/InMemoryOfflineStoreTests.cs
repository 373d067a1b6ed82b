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

        Assert.Equal([a, b], await _store.PeekAsync("seas", 10));
        Assert.Equal([a, b], await _store.PeekAsync("seas", 10));
    }

    [Fact]
    public async Task Peek_returns_at_most_the_number_asked()
    {
        var a = Message("one");
        await _store.AppendAsync("seas", a);
        await _store.AppendAsync("seas", Message("two"));

        Assert.Equal([a], await _store.PeekAsync("seas", 1));
    }

    [Fact]
    public async Task Peek_after_a_cursor_continues_from_the_next_message()
    {
        var a = Message("one");
        var b = Message("two");
        var c = Message("three");
        await _store.AppendAsync("seas", a);
        await _store.AppendAsync("seas", b);
        await _store.AppendAsync("seas", c);

        Assert.Equal([b, c], await _store.PeekAsync("seas", 10, a.Id));
        Assert.Empty(await _store.PeekAsync("seas", 10, c.Id));
    }

    [Fact]
    public async Task Acknowledging_removes_only_the_listed_messages()
    {
        var a = Message("one");
        var b = Message("two");
        await _store.AppendAsync("seas", a);
        await _store.AppendAsync("seas", b);

        await _store.AcknowledgeAsync("seas", [a.Id, MessageId.New(TimeProvider.System)]);

        Assert.Equal([b], await _store.PeekAsync("seas", 10));
    }

    [Fact]
    public async Task A_user_with_nothing_stored_gets_nothing()
    {
        Assert.Empty(await _store.PeekAsync("nobody", 10));
        await _store.AcknowledgeAsync("nobody", [MessageId.New(TimeProvider.System)]);
    }

    private static ChatMessage Message(string text)
        => new(MessageId.New(TimeProvider.System), MessageKind.Direct, "columbia", "seas", text, CoreHarness.Start);
}
