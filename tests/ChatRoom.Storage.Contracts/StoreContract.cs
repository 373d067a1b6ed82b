namespace ChatRoom.Storage.Contracts;

/// <summary>
/// What every store contract shares: a store opened before each test and closed after it. An implementation's test
/// class derives from a contract and says only how to open its store.
/// </summary>
/// <typeparam name="TStore">The store interface the contract is about.</typeparam>
public abstract class StoreContract<TStore> : IAsyncLifetime
    where TStore : class
{
    private TStore? _store;

    /// <summary>The store under test, open for the whole test.</summary>
    protected TStore Store => _store ?? throw new InvalidOperationException("The store is opened before each test.");

    /// <summary>
    /// Opens the store under test: empty the first time in a test; for a durable store, the same data again on each
    /// later call (see <see cref="ReopenAsync"/>).
    /// </summary>
    protected abstract Task<TStore> OpenAsync();

    /// <summary>Closes <see cref="Store"/> and opens it again, as a restarted server would; only durable contracts use it.</summary>
    protected async Task ReopenAsync()
    {
        await CloseAsync();
        _store = await OpenAsync();
    }

    /// <inheritdoc />
    public async Task InitializeAsync() => _store = await OpenAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => CloseAsync();

    private async Task CloseAsync()
    {
        switch (_store)
        {
            case IAsyncDisposable disposable:
                await disposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }

        _store = null;
    }
}
