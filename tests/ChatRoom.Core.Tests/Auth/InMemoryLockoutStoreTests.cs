using ChatRoom.Auth;

namespace ChatRoom.Core.Tests.Auth;

public sealed class InMemoryLockoutStoreTests : LockoutStoreContract
{
    protected override Task<ILockoutStore> OpenAsync() => Task.FromResult<ILockoutStore>(new InMemoryLockoutStore());
}
