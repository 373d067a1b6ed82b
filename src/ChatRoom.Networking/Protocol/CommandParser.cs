using System.Buffers;
using System.Text;
using ChatRoom.Auth;
using ChatRoom.Messaging;
using ChatRoom.Protocol.Commands;

namespace ChatRoom.Protocol;

/// <summary>
/// Turns one client line into a <see cref="ClientCommand"/> or a <see cref="ProtocolError"/>. The line may be text or
/// its UTF-8 bytes as framed: both are read by one algorithm, and the bytes one makes strings only for the fields the
/// command keeps (tag, arguments, text), never for the whole line.
/// </summary>
internal static class CommandParser
{
    public const int MaxTagLength = 16;

    // Lines are at most a few KiB (ChatServerOptions.MaxLineBytes); one split across pipe segments is copied to this size on the stack.
    private const int StackCopyBytes = 1024;

    public static bool TryParse(string line, out ClientCommand command, out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(line);
        return TryParse<Utf16Text, char>(line, out command, out error);
    }

    /// <summary>
    /// Parses a line's UTF-8 bytes (without its line ending), as <see cref="LineReader"/> hands them out. Gives the same
    /// command or error as <see cref="TryParse(string, out ClientCommand, out ProtocolError)"/> on the line decoded as
    /// UTF-8, invalid bytes included (they read as U+FFFD).
    /// </summary>
    public static bool TryParse(in ReadOnlySequence<byte> line, out ClientCommand command, out ProtocolError error)
    {
        if (line.IsSingleSegment)
        {
            return TryParse(line.FirstSpan, out command, out error);
        }

        var length = checked((int)line.Length);
        byte[]? rented = null;
        Span<byte> copy = length <= StackCopyBytes ? stackalloc byte[StackCopyBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            line.CopyTo(copy);
            return TryParse(copy[..length], out command, out error);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Parses a line's UTF-8 bytes; see <see cref="TryParse(in ReadOnlySequence{byte}, out ClientCommand, out ProtocolError)"/>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out ClientCommand command, out ProtocolError error)
        => TryParse<Utf8Text, byte>(line, out command, out error);

    /// <summary>The command word of <paramref name="line"/> (after a tag) if it is a known verb, else null.</summary>
    public static string? KnownVerb(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return KnownVerb<Utf16Text, char>(line);
    }

    /// <summary>The command word of a line's UTF-8 bytes (after a tag) if it is a known verb, else null; for logging a refused line.</summary>
    public static string? KnownVerb(in ReadOnlySequence<byte> line)
    {
        // Only the first two words matter; a line split across segments is decoded whole, which is rare and only on refusals.
        return line.IsSingleSegment ? KnownVerb<Utf8Text, byte>(line.FirstSpan) : KnownVerb(Encoding.UTF8.GetString(line));
    }

    private static bool TryParse<TText, TUnit>(ReadOnlySpan<TUnit> line, out ClientCommand command, out ProtocolError error)
        where TText : struct, ILineText<TUnit>
        where TUnit : unmanaged, IEquatable<TUnit>
    {
        command = null!;
        error = null!;
        var rest = TText.Trim(line);
        string? tag = null;
        var word = NextWord<TText, TUnit>(ref rest);
        if (word.Length > 1 && word[0].Equals(TText.Hash))
        {
            // Letters and digits are ASCII, so a valid tag has as many bytes as characters and either form checks alike.
            var tagText = word[1..];
            if (tagText.Length > MaxTagLength || tagText.ContainsAnyExcept(TText.TagCharacters))
            {
                error = new ProtocolError(null, ErrorCodes.BadArgument, $"a tag is # followed by 1 to {MaxTagLength} letters or digits");
                return false;
            }

            tag = TText.ToText(tagText);
            word = NextWord<TText, TUnit>(ref rest);
        }

        if (word.IsEmpty)
        {
            error = new ProtocolError(tag, ErrorCodes.UnknownCommand, "empty line; type help for the commands");
            return false;
        }

        if (!TText.TryFind(word, out var definition))
        {
            error = new ProtocolError(tag, ErrorCodes.UnknownCommand, $"unknown command '{Printable(TText.ToText(word))}'; type help for the commands");
            return false;
        }

        var spec = definition.Spec;

        // The words are found first and made strings after, so the argument array has its exact size.
        Span<Range> words = stackalloc Range[spec.Required.Length + spec.Optional.Length];
        var count = 0;
        foreach (var name in spec.Required)
        {
            var value = NextWord<TText, TUnit>(ref rest);
            if (value.IsEmpty)
            {
                error = new ProtocolError(tag, ErrorCodes.MissingArgument, $"missing <{name}>; usage: {spec.Usage}");
                return false;
            }

            words[count++] = RangeOf(line, value);
        }

        foreach (var _ in spec.Optional)
        {
            var value = NextWord<TText, TUnit>(ref rest);
            if (!value.IsEmpty)
            {
                words[count++] = RangeOf(line, value);
            }
        }

        if (spec.TakesText && rest.IsEmpty)
        {
            error = new ProtocolError(tag, ErrorCodes.MissingArgument, $"missing <text>; usage: {spec.Usage}");
            return false;
        }

        if (!spec.TakesText && !rest.IsEmpty)
        {
            error = new ProtocolError(tag, ErrorCodes.BadArgument, $"too many parameters; usage: {spec.Usage}");
            return false;
        }

        var args = new string[count + (spec.TakesText ? 1 : 0)];
        for (var i = 0; i < count; i++)
        {
            args[i] = TText.ToText(line[words[i]]);
        }

        if (spec.TakesText)
        {
            args[^1] = TText.ToText(rest);
        }

        command = new ClientCommand(definition, tag, args);
        var problem = Validate(command);
        if (problem is not null)
        {
            error = new ProtocolError(tag, ErrorCodes.BadArgument, $"{problem}; usage: {spec.Usage}");
            return false;
        }

        return true;
    }

    private static string? KnownVerb<TText, TUnit>(ReadOnlySpan<TUnit> line)
        where TText : struct, ILineText<TUnit>
        where TUnit : unmanaged, IEquatable<TUnit>
    {
        var rest = TText.Trim(line);
        var word = NextWord<TText, TUnit>(ref rest);
        if (word.Length > 1 && word[0].Equals(TText.Hash))
        {
            word = NextWord<TText, TUnit>(ref rest);
        }

        return TText.TryFind(word, out var definition) ? definition.Name : null;
    }

    private static string? Validate(ClientCommand command)
    {
        var spec = command.Spec;
        for (var i = 0; i < spec.Required.Length; i++)
        {
            if (spec.Required[i] == "user" && !UserNames.IsValid(command.Args[i]))
            {
                return $"'{Printable(command.Args[i])}' is not a valid user name";
            }
        }

        return command.Definition.Validate(command.Args);
    }

    // Words are split at spaces and tabs only; the white space trimmed around them is any (as string.Trim sees it).
    private static ReadOnlySpan<TUnit> NextWord<TText, TUnit>(ref ReadOnlySpan<TUnit> rest)
        where TText : struct, ILineText<TUnit>
        where TUnit : unmanaged, IEquatable<TUnit>
    {
        rest = TText.TrimStart(rest);
        var end = rest.IndexOfAny(TText.Space, TText.Tab);
        var word = end < 0 ? rest : rest[..end];
        rest = end < 0 ? [] : TText.TrimStart(rest[end..]);
        return word;
    }

    // Where a word taken from the line lies in it.
    private static Range RangeOf<TUnit>(ReadOnlySpan<TUnit> line, ReadOnlySpan<TUnit> word)
        where TUnit : unmanaged
    {
        var start = line.Overlaps(word, out var offset) ? offset : throw new ArgumentException("The word is not in the line.", nameof(word));
        return new Range(start, start + word.Length);
    }

    // Echoed input is cut short and stripped of control characters so an error line cannot carry a terminal escape,
    // nor a bidirectional control that would reorder the rest of the line.
    private static string Printable(ReadOnlySpan<char> text)
    {
        var cut = text.Length > 32 ? text[..32] : text;
        var chars = cut.ToArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsControl(chars[i]) || BidiControls.ContainsFormattingOrMarks([chars[i]]))
            {
                chars[i] = '?';
            }
        }

        return text.Length > 32 ? new string(chars) + "…" : new string(chars);
    }

    /// <summary>What the parser needs to know of one encoding of a line: its white space, its punctuation, and how a piece becomes text.</summary>
    private interface ILineText<TUnit>
        where TUnit : unmanaged, IEquatable<TUnit>
    {
        static abstract TUnit Space { get; }

        static abstract TUnit Tab { get; }

        static abstract TUnit Hash { get; }

        static abstract SearchValues<TUnit> TagCharacters { get; }

        static abstract ReadOnlySpan<TUnit> Trim(ReadOnlySpan<TUnit> text);

        static abstract ReadOnlySpan<TUnit> TrimStart(ReadOnlySpan<TUnit> text);

        static abstract string ToText(ReadOnlySpan<TUnit> text);

        static abstract bool TryFind(ReadOnlySpan<TUnit> verb, out ChatCommand definition);
    }

    private readonly struct Utf16Text : ILineText<char>
    {
        private static readonly SearchValues<char> s_tag = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

        public static char Space => ' ';

        public static char Tab => '\t';

        public static char Hash => '#';

        public static SearchValues<char> TagCharacters => s_tag;

        public static ReadOnlySpan<char> Trim(ReadOnlySpan<char> text) => text.Trim();

        public static ReadOnlySpan<char> TrimStart(ReadOnlySpan<char> text) => text.TrimStart();

        public static string ToText(ReadOnlySpan<char> text) => text.ToString();

        public static bool TryFind(ReadOnlySpan<char> verb, out ChatCommand definition) => CommandTable.TryFind(verb, out definition!);
    }

    private readonly struct Utf8Text : ILineText<byte>
    {
        private static readonly SearchValues<byte> s_tag = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

        public static byte Space => (byte)' ';

        public static byte Tab => (byte)'\t';

        public static byte Hash => (byte)'#';

        public static SearchValues<byte> TagCharacters => s_tag;

        public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> text) => TrimEnd(TrimStart(text));

        // White space as char.IsWhiteSpace has it, decoded a character at a time; bytes that are not UTF-8 are not white space (they read as U+FFFD).
        public static ReadOnlySpan<byte> TrimStart(ReadOnlySpan<byte> text)
        {
            while (!text.IsEmpty)
            {
                if (text[0] is (byte)' ' or (byte)'\t')
                {
                    text = text[1..];
                    continue;
                }

                if (Rune.DecodeFromUtf8(text, out var rune, out var consumed) != OperationStatus.Done || !Rune.IsWhiteSpace(rune))
                {
                    break;
                }

                text = text[consumed..];
            }

            return text;
        }

        public static string ToText(ReadOnlySpan<byte> text) => Encoding.UTF8.GetString(text);

        public static bool TryFind(ReadOnlySpan<byte> verb, out ChatCommand definition)
        {
            if (!Ascii.IsValid(verb))
            {
                // Any case of a verb is accepted as OrdinalIgnoreCase has it; that is ASCII case for ASCII, so the table's lookup decides the rest.
                return CommandTable.TryFind(Encoding.UTF8.GetString(verb), out definition!);
            }

            foreach (var command in CommandTable.All)
            {
                if (Ascii.EqualsIgnoreCase(verb, command.Name))
                {
                    definition = command;
                    return true;
                }
            }

            definition = null!;
            return false;
        }

        private static ReadOnlySpan<byte> TrimEnd(ReadOnlySpan<byte> text)
        {
            while (!text.IsEmpty)
            {
                if (text[^1] is (byte)' ' or (byte)'\t')
                {
                    text = text[..^1];
                    continue;
                }

                if (Rune.DecodeLastFromUtf8(text, out var rune, out var consumed) != OperationStatus.Done || !Rune.IsWhiteSpace(rune))
                {
                    break;
                }

                text = text[..^consumed];
            }

            return text;
        }
    }
}
