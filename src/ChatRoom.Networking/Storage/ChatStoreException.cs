namespace ChatRoom.Storage;

/// <summary>The data file cannot be used (not ours, corrupt, newer, read-only) or a write could not be stored. The message names the file.</summary>
public sealed class ChatStoreException : Exception
{
    /// <summary>Creates the exception for the file at <paramref name="path"/>.</summary>
    public ChatStoreException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner) => Path = path;

    /// <summary>The data file.</summary>
    public string Path { get; }
}
