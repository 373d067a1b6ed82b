using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Offline;

namespace ChatRoom.Storage.Sqlite.Tests;

public sealed class SqliteOfflineStoreTests : DurableOfflineStoreContract, IDisposable
{
    private readonly TemporaryDataFile _file = new();

    protected override async Task<IOfflineStore> OpenAsync() => await _file.OpenAsync();

    public void Dispose() => _file.Dispose();
}

public sealed class SqliteBlockListStoreTests : DurableBlockListStoreContract, IDisposable
{
    private readonly TemporaryDataFile _file = new();

    protected override async Task<IBlockListStore> OpenAsync() => await _file.OpenAsync();

    public void Dispose() => _file.Dispose();
}

public sealed class SqliteLockoutStoreTests : DurableLockoutStoreContract, IDisposable
{
    private readonly TemporaryDataFile _file = new();

    protected override async Task<ILockoutStore> OpenAsync() => await _file.OpenAsync();

    public void Dispose() => _file.Dispose();
}
