using ChatRoom.Blocking;

namespace ChatRoom.Storage.Contracts;

/// <summary>What every <see cref="IBlockListStore"/> does, whatever keeps the lists.</summary>
public abstract class BlockListStoreContract : StoreContract<IBlockListStore>
{
    [Fact]
    public async Task Adding_a_block_records_it_once()
    {
        Assert.True(await Store.AddAsync("seas", "columbia"));

        Assert.False(await Store.AddAsync("seas", "columbia"));
        Assert.True(await Store.ContainsAsync("seas", "columbia"));
    }

    [Fact]
    public async Task Removing_a_block_takes_it_away_once()
    {
        await Store.AddAsync("seas", "columbia");

        Assert.True(await Store.RemoveAsync("seas", "columbia"));

        Assert.False(await Store.RemoveAsync("seas", "columbia"));
        Assert.False(await Store.ContainsAsync("seas", "columbia"));
    }

    [Fact]
    public async Task Removing_a_block_that_was_never_added_is_false()
    {
        Assert.False(await Store.RemoveAsync("seas", "columbia"));
        Assert.False(await Store.RemoveAsync("nobody", "columbia"));
    }

    [Fact]
    public async Task A_block_is_one_way_and_belongs_to_its_owner()
    {
        await Store.AddAsync("seas", "columbia");

        Assert.False(await Store.ContainsAsync("columbia", "seas"));
        Assert.False(await Store.ContainsAsync("foobar", "columbia"));
    }

    [Fact]
    public async Task The_list_holds_everyone_an_owner_blocked()
    {
        await Store.AddAsync("seas", "columbia");
        await Store.AddAsync("seas", "foobar");
        await Store.AddAsync("foobar", "seas");

        Assert.Equal(["columbia", "foobar"], (await Store.ListAsync("seas")).Order(StringComparer.Ordinal));
        Assert.Empty(await Store.ListAsync("nobody"));
    }
}
