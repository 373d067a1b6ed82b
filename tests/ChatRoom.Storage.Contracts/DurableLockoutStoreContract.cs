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
}
