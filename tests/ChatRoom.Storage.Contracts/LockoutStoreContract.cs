using ChatRoom.Auth;

namespace ChatRoom.Storage.Contracts;

/// <summary>What every <see cref="ILockoutStore"/> does, whatever keeps the states.</summary>
public abstract class LockoutStoreContract : StoreContract<ILockoutStore>
{
    /// <summary>A lock that ends at a whole millisecond, as every store can keep it.</summary>
    protected static readonly LockoutState Locked = new(0, DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));

    [Fact]
    public async Task A_user_with_nothing_kept_is_clear()
    {
        Assert.Equal(LockoutState.Clear, await Store.GetAsync("seas"));
    }

    [Fact]
    public async Task An_update_from_the_expected_state_is_kept()
    {
        Assert.True(await Store.TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(1, null)));
        Assert.True(await Store.TryUpdateAsync("seas", new LockoutState(1, null), Locked));

        Assert.Equal(Locked, await Store.GetAsync("seas"));
    }

    [Fact]
    public async Task A_stale_expected_state_is_refused_and_changes_nothing()
    {
        await Store.TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(1, null));

        Assert.False(await Store.TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(1, null)));
        Assert.False(await Store.TryUpdateAsync("seas", new LockoutState(2, null), Locked));
        Assert.Equal(new LockoutState(1, null), await Store.GetAsync("seas"));
    }

    [Fact]
    public async Task Clearing_a_state_lets_it_start_again_from_clear()
    {
        await Store.TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(2, null));

        Assert.True(await Store.TryUpdateAsync("seas", new LockoutState(2, null), LockoutState.Clear));

        Assert.Equal(LockoutState.Clear, await Store.GetAsync("seas"));
        Assert.True(await Store.TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(1, null)));
    }

    [Fact]
    public async Task Each_user_has_their_own_state()
    {
        await Store.TryUpdateAsync("seas", LockoutState.Clear, Locked);

        Assert.Equal(LockoutState.Clear, await Store.GetAsync("columbia"));
        Assert.True(await Store.TryUpdateAsync("columbia", LockoutState.Clear, new LockoutState(1, null)));
    }

    [Fact]
    public async Task Of_concurrent_updates_from_the_same_state_exactly_one_wins()
    {
        var updates = await Task.WhenAll(Enumerable.Range(1, 32).Select(i =>
            Task.Run(async () => await Store.TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(i, null)))));

        Assert.Single(updates, won => won);
        Assert.Equal(Array.IndexOf(updates, true) + 1, (await Store.GetAsync("seas")).Failures);
    }
}
