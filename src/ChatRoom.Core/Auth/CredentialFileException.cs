namespace ChatRoom.Auth;

/// <summary>A credentials file is unreadable or malformed. The message names the file and, where it applies, the line.</summary>
public sealed class CredentialFileException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/> at <paramref name="line"/> (0 when no line applies).</summary>
    public CredentialFileException(string path, int line, string problem, Exception? inner = null)
        : base(line > 0 ? $"{path}:{line}: {problem}" : $"{path}: {problem}", inner)
    {
        Path = path;
        Line = line;
    }

    /// <summary>The file at fault.</summary>
    public string Path { get; }

    /// <summary>The 1-based line at fault, or 0 when the problem is the whole file.</summary>
    public int Line { get; }
}
