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

    [Fact]
    public async Task The_time_of_the_last_failure_is_kept()
    {
        var state = new LockoutState(2, null, At(0));

        await Store.TryUpdateAsync("from 10.0.0.1 seas", LockoutState.Clear, state);

        Assert.Equal(state, await Store.GetAsync("from 10.0.0.1 seas"));
    }

    [Fact]
    public async Task A_purge_removes_states_with_no_recent_failure_and_no_running_lock()
    {
        await Store.TryUpdateAsync("old", LockoutState.Clear, new LockoutState(2, null, At(0)));
        await Store.TryUpdateAsync("old-lock-over", LockoutState.Clear, new LockoutState(0, At(5), At(0)));
        await Store.TryUpdateAsync("recent", LockoutState.Clear, new LockoutState(1, null, At(11)));
        await Store.TryUpdateAsync("old-lock-running", LockoutState.Clear, new LockoutState(0, At(30), At(0)));

        Assert.Equal(2, await Store.PurgeAsync(failedBefore: At(10), now: At(20)));

        Assert.Equal(LockoutState.Clear, await Store.GetAsync("old"));
        Assert.Equal(LockoutState.Clear, await Store.GetAsync("old-lock-over"));
        Assert.Equal(new LockoutState(1, null, At(11)), await Store.GetAsync("recent"));
        Assert.Equal(new LockoutState(0, At(30), At(0)), await Store.GetAsync("old-lock-running"));
    }

    [Fact]
    public async Task A_purged_state_starts_again_from_clear()
    {
        await Store.TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(2, null, At(0)));
        await Store.PurgeAsync(At(10), At(10));

        Assert.True(await Store.TryUpdateAsync("seas", LockoutState.Clear, new LockoutState(1, null, At(11))));
    }

    [Fact]
    public async Task Ten_thousand_idle_states_are_all_purged()
    {
        for (var i = 0; i < 10_000; i++)
        {
            await Store.TryUpdateAsync("made-up" + i, LockoutState.Clear, new LockoutState(1, null, At(0)));
        }

        Assert.Equal(10_000, await Store.PurgeAsync(At(1), At(1)));
        Assert.Equal(LockoutState.Clear, await Store.GetAsync("made-up9999"));
    }

    /// <summary>A whole-millisecond time, minutes after a fixed start.</summary>
    protected static DateTimeOffset At(int minutes) => DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000).AddMinutes(minutes);
}
