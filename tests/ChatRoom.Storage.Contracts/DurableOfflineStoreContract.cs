using ChatRoom.Offline;

namespace ChatRoom.Storage.Contracts;

/// <summary>
/// What a durable <see cref="IOfflineStore"/> does besides the <see cref="OfflineStoreContract"/>: what it stored is
/// there again when it is reopened. Sequences need only hold while the store is open, so these cases compare messages.
/// </summary>
public abstract class DurableOfflineStoreContract : OfflineStoreContract
{
    [Fact]
    public async Task Stored_messages_survive_reopening_in_the_same_order()
    {
        var a = Messages.To("seas", "one");
        var b = Messages.To("seas", "two");
        var c = Messages.To("seas", "three");
        var other = Messages.To("foobar", "other");
        await Store.AppendAsync("seas", a);
        await Store.AppendAsync("foobar", other);
        await Store.AppendAsync("seas", b);
        await Store.AppendAsync("seas", c);

        await ReopenAsync();

        Assert.Equal([a, b, c], await Store.MessagesAsync("seas"));
        Assert.Equal([other], await Store.MessagesAsync("foobar"));
    }

    [Fact]
    public async Task Acknowledged_messages_do_not_come_back_after_reopening()
    {
        var a = Messages.To("seas", "one");
        var b = Messages.To("seas", "two");
        await Store.AppendAsync("seas", a);
        await Store.AppendAsync("seas", b);
        await Store.AcknowledgeAsync("seas", [a.Id]);

        await ReopenAsync();

        Assert.Equal([b], await Store.MessagesAsync("seas"));
    }

    [Fact]
    public async Task A_full_box_is_still_full_after_reopening_and_acknowledging_still_makes_room()
    {
        var limits = new MailboxLimits(MaxMessages: 2, MaxBytes: 7);
        var a = Messages.To("seas", "123");
        await Store.TryAppendAsync("seas", a, limits);
        await Store.TryAppendAsync("seas", Messages.To("seas", "é"), limits); // 2 bytes: 5 of 7 used

        await ReopenAsync();

        Assert.Null(await Store.TryAppendAsync("seas", Messages.To("seas", "x"), limits));
        Assert.Null(await Store.TryAppendAsync("seas", Messages.To("seas", "xyz"), limits with { MaxMessages = 3 })); // 5 + 3 > 7
        Assert.NotNull(await Store.TryAppendAsync("seas", Messages.To("seas", "xy"), limits with { MaxMessages = 3 }));
        await Store.AcknowledgeAsync("seas", [a.Id]);
        Assert.NotNull(await Store.TryAppendAsync("seas", Messages.To("seas", "z"), limits with { MaxMessages = 3 }));
    }

    [Fact]
    public async Task Appends_after_reopening_come_after_what_was_kept()
    {
        var kept = Messages.To("seas", "before");
        await Store.AppendAsync("seas", kept);
        await ReopenAsync();

        var later = Messages.To("seas", "after");
        var sequence = await Store.AppendAsync("seas", later);

        var read = await Store.ReadAllAsync("seas");
        Assert.Equal([kept, later], read.Select(s => s.Message));
        Assert.Equal(sequence, read[^1].Sequence);
        Assert.True(read[0].Sequence < sequence);
    }
}
