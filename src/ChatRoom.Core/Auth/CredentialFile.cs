using System.Text;
using Microsoft.Extensions.Logging;

namespace ChatRoom.Auth;

/// <summary>
/// Reads a credentials file: one <c>username secret</c> pair a line, the secret a plaintext password or a salted hash
/// (<see cref="PasswordHash"/>, made by <c>ChatRoom.ServerApp hash-password</c>); blank lines and lines starting with
/// <c>#</c> are ignored. The file must be UTF-8.
/// </summary>
public static partial class CredentialFile
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Loads the file at <paramref name="path"/> into a credential source.</summary>
    /// <exception cref="CredentialFileException">
    /// The file cannot be read, is not UTF-8, or a line is malformed, repeats a user name or holds a bad hash; the message
    /// names the file and line.
    /// </exception>
    public static InMemoryCredentialSource Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CredentialFileException(path, 0, $"cannot be read: {ex.Message}", ex);
        }

        return Parse(Decode(bytes, path), path);
    }

    /// <summary>Parses credentials from <paramref name="text"/>; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="CredentialFileException">A line is malformed, repeats a user name or holds a bad hash, or no user is defined.</exception>
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

            if (parts[1].StartsWith(PasswordHash.Prefix, StringComparison.Ordinal) && !PasswordHash.TryParse(parts[1], out _, out var problem))
            {
                throw new CredentialFileException(sourceName, lineNumber, $"the hash of '{parts[0]}' is not usable: {problem}");
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

    /// <summary>Logs one warning naming the users of <paramref name="source"/> whose passwords are in plaintext, if any.</summary>
    public static void WarnAboutPlaintext(InMemoryCredentialSource source, string sourceName, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(logger);
        if (source.PlaintextUsers.Count > 0)
        {
            PlaintextPasswords(logger, sourceName, source.PlaintextUsers.Count, string.Join(", ", source.PlaintextUsers));
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning,
        Message = "Credentials {Source} keep {Count} passwords in plaintext ({Users}); replace them with lines from 'ChatRoom.ServerApp hash-password'")]
    private static partial void PlaintextPasswords(ILogger logger, string source, int count, string users);

    // Decoded line by line, strictly, so a byte that is not UTF-8 is refused with its line instead of becoming U+FFFD.
    private static string Decode(byte[] bytes, string path)
    {
        ReadOnlySpan<byte> rest = bytes;
        if (rest.StartsWith("\uFEFF"u8))
        {
            rest = rest[3..];
        }

        var text = new StringBuilder(bytes.Length);
        for (var line = 1; ; line++)
        {
            var end = rest.IndexOf((byte)'\n');
            var current = end < 0 ? rest : rest[..(end + 1)];
            try
            {
                text.Append(s_strictUtf8.GetString(current));
            }
            catch (DecoderFallbackException ex)
            {
                throw new CredentialFileException(path, line, "is not valid UTF-8 (save the file as UTF-8)", ex);
            }

            if (end < 0)
            {
                return text.ToString();
            }

            rest = rest[(end + 1)..];
        }
    }
}
