using ChatRoom.Offline;

namespace ChatRoom.Core.Tests.Offline;

public sealed class InMemoryOfflineStoreTests : OfflineStoreContract
{
    protected override Task<IOfflineStore> OpenAsync() => Task.FromResult<IOfflineStore>(new InMemoryOfflineStore());

    [Fact]
    public async Task Each_recipient_numbers_its_messages_from_one()
    {
        Assert.Equal(1, await Store.AppendAsync("seas", Messages.To("seas", "one")));
        Assert.Equal(1, await Store.AppendAsync("foobar", Messages.To("foobar", "other")));
        Assert.Equal(2, await Store.AppendAsync("seas", Messages.To("seas", "two")));
    }
}
