namespace ChatRoom.Blocking;

/// <summary>Keeps each user's block list.</summary>
public interface IBlockListStore
{
    /// <summary>Adds <paramref name="target"/> to <paramref name="owner"/>'s list; false if it was there already.</summary>
    ValueTask<bool> AddAsync(string owner, string target, CancellationToken cancellationToken = default);

    /// <summary>Removes <paramref name="target"/> from <paramref name="owner"/>'s list; false if it was not there.</summary>
    ValueTask<bool> RemoveAsync(string owner, string target, CancellationToken cancellationToken = default);

    /// <summary>Whether <paramref name="owner"/> has blocked <paramref name="target"/>.</summary>
    ValueTask<bool> ContainsAsync(string owner, string target, CancellationToken cancellationToken = default);

    /// <summary>Everyone <paramref name="owner"/> has blocked.</summary>
    ValueTask<IReadOnlyCollection<string>> ListAsync(string owner, CancellationToken cancellationToken = default);
}
