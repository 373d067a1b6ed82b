namespace ChatRoom.Storage;

/// <summary>
/// A durable store failed: its data cannot be used (not ours, corrupt, newer, read-only, unreachable) or a write could not
/// be stored. Every durable store throws it, so a host handles store failures once whichever store it runs on.
/// </summary>
public sealed class ChatStoreException : Exception
{
    /// <summary>Creates the exception for the store whose data lives at <paramref name="path"/>; the message starts with it.</summary>
    public ChatStoreException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner) => Path = path;

    /// <summary>Where the store keeps its data: a file, or the address of the server that holds it.</summary>
    public string Path { get; }

    /// <summary>True when the data is in use by another store (another server has the file open); trying again after it stops may work.</summary>
    public bool InUse { get; init; }
}
