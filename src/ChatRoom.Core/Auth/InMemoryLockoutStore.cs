using System.Collections.Concurrent;

namespace ChatRoom.Auth;

/// <summary>Lockout state in process memory; lost on restart.</summary>
public sealed class InMemoryLockoutStore : ILockoutStore
{
    private readonly ConcurrentDictionary<string, LockoutState> _states = new(StringComparer.Ordinal);

    /// <summary>How many keys have a state kept.</summary>
    public int Count => _states.Count;

    /// <inheritdoc />
    public ValueTask<LockoutState> GetAsync(string user, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(_states.GetValueOrDefault(user, LockoutState.Clear));

    /// <inheritdoc />
    public ValueTask<bool> TryUpdateAsync(string user, LockoutState expected, LockoutState next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(next);
        bool updated;
        if (expected == LockoutState.Clear)
        {
            // A clear state is kept as no entry, so the map only holds keys with something to remember.
            updated = next == LockoutState.Clear ? !_states.ContainsKey(user) : _states.TryAdd(user, next);
        }
        else if (next == LockoutState.Clear)
        {
            updated = _states.TryRemove(new KeyValuePair<string, LockoutState>(user, expected));
        }
        else
        {
            updated = _states.TryUpdate(user, next, expected);
        }

        return ValueTask.FromResult(updated);
    }

    /// <inheritdoc />
    public ValueTask<int> PurgeAsync(DateTimeOffset failedBefore, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var removed = 0;
        foreach (var entry in _states)
        {
            // Removing the pair (not the key) keeps a state that changed since it was looked at.
            if (entry.Value.IsIdle(failedBefore, now) && _states.TryRemove(entry))
            {
                removed++;
            }
        }

        return ValueTask.FromResult(removed);
    }
}
