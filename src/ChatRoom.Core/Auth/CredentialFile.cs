namespace ChatRoom.Auth;

/// <summary>Reads a credentials file: one <c>username password</c> pair a line; blank lines and lines starting with <c>#</c> are ignored.</summary>
public static class CredentialFile
{
    /// <summary>Loads the file at <paramref name="path"/> into a credential source.</summary>
    /// <exception cref="CredentialFileException">The file cannot be read, or a line is malformed or repeats a user name; the message names the file and line.</exception>
    public static InMemoryCredentialSource Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CredentialFileException(path, 0, $"cannot be read: {ex.Message}", ex);
        }

        return Parse(text, path);
    }

    /// <summary>Parses credentials from <paramref name="text"/>; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="CredentialFileException">A line is malformed or repeats a user name, or no user is defined.</exception>
    public static InMemoryCredentialSource Parse(string text, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                throw new CredentialFileException(sourceName, lineNumber, "expected 'username password'");
            }

            if (!UserNames.IsValid(parts[0]))
            {
                throw new CredentialFileException(sourceName, lineNumber, $"'{parts[0]}' is not a valid user name");
            }

            if (!users.TryAdd(parts[0], parts[1]))
            {
                throw new CredentialFileException(sourceName, lineNumber, $"user '{parts[0]}' is listed twice");
            }
        }

        if (users.Count == 0)
        {
            throw new CredentialFileException(sourceName, 0, "defines no users");
        }

        return new InMemoryCredentialSource(users);
    }
}
