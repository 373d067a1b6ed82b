using ChatRoom.Blocking;

namespace ChatRoom.Core.Tests.Blocking;

public sealed class InMemoryBlockListStoreTests : BlockListStoreContract
{
    protected override Task<IBlockListStore> OpenAsync() => Task.FromResult<IBlockListStore>(new InMemoryBlockListStore());
}
