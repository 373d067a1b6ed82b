using ChatRoom.Auth;

namespace ChatRoom.Storage.Contracts;

/// <summary>What a durable <see cref="ILockoutStore"/> does besides the <see cref="LockoutStoreContract"/>.</summary>
public abstract class DurableLockoutStoreContract : LockoutStoreContract
{
    [Fact]
    public async Task Locks_and_clears_survive_reopening()
    {
        await Store.TryUpdateAsync("seas", LockoutState.Clear, Locked);
        await Store.TryUpdateAsync("columbia", LockoutState.Clear, new LockoutState(2, null));
        await Store.TryUpdateAsync("columbia", new LockoutState(2, null), LockoutState.Clear);

        await ReopenAsync();

        Assert.Equal(Locked, await Store.GetAsync("seas"));
        Assert.Equal(LockoutState.Clear, await Store.GetAsync("columbia"));
    }

    [Fact]
    public async Task Last_failures_and_purges_survive_reopening()
    {
        await Store.TryUpdateAsync("old", LockoutState.Clear, new LockoutState(2, null, At(0)));
        await Store.TryUpdateAsync("recent", LockoutState.Clear, new LockoutState(1, null, At(11)));
        await Store.PurgeAsync(At(10), At(20));

        await ReopenAsync();

        Assert.Equal(LockoutState.Clear, await Store.GetAsync("old"));
        Assert.Equal(new LockoutState(1, null, At(11)), await Store.GetAsync("recent"));
    }
}
