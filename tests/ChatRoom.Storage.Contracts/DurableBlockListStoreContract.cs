using ChatRoom.Blocking;

namespace ChatRoom.Storage.Contracts;

/// <summary>What a durable <see cref="IBlockListStore"/> does besides the <see cref="BlockListStoreContract"/>.</summary>
public abstract class DurableBlockListStoreContract : BlockListStoreContract
{
    [Fact]
    public async Task Blocks_and_unblocks_survive_reopening()
    {
        await Store.AddAsync("seas", "columbia");
        await Store.AddAsync("seas", "foobar");
        await Store.RemoveAsync("seas", "foobar");

        await ReopenAsync();

        Assert.Equal(["columbia"], await Store.ListAsync("seas"));
    }
}
