using System.Collections.Concurrent;

namespace ChatRoom.Blocking;

/// <summary>Block lists in process memory; lost on restart. Lookups take no lock.</summary>
public sealed class InMemoryBlockListStore : IBlockListStore
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _lists = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<bool> AddAsync(string owner, string target, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(_lists.GetOrAdd(owner, static _ => new(StringComparer.Ordinal)).TryAdd(target, 0));

    /// <inheritdoc />
    public ValueTask<bool> RemoveAsync(string owner, string target, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(_lists.TryGetValue(owner, out var list) && list.TryRemove(target, out _));

    /// <inheritdoc />
    public ValueTask<bool> ContainsAsync(string owner, string target, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(_lists.TryGetValue(owner, out var list) && list.ContainsKey(target));

    /// <inheritdoc />
    public ValueTask<IReadOnlyCollection<string>> ListAsync(string owner, CancellationToken cancellationToken = default)
        => ValueTask.FromResult<IReadOnlyCollection<string>>(_lists.TryGetValue(owner, out var list) ? [.. list.Keys] : []);
}
