using ChatRoom.Auth;
using ChatRoom.Messaging;
using ChatRoom.Protocol.Commands;

namespace ChatRoom.Protocol;

/// <summary>Turns one client line into a <see cref="ClientCommand"/> or a <see cref="ProtocolError"/>.</summary>
internal static class CommandParser
{
    public const int MaxTagLength = 16;

    public static bool TryParse(string line, out ClientCommand command, out ProtocolError error)
    {
        command = null!;
        error = null!;
        var rest = line.AsSpan().Trim();
        string? tag = null;
        var word = NextWord(ref rest);
        if (word.Length > 1 && word[0] == '#')
        {
            tag = word[1..].ToString();
            if (tag.Length > MaxTagLength || !tag.All(char.IsAsciiLetterOrDigit))
            {
                error = new ProtocolError(null, ErrorCodes.BadArgument, $"a tag is # followed by 1 to {MaxTagLength} letters or digits");
                return false;
            }

            word = NextWord(ref rest);
        }

        if (word.IsEmpty)
        {
            error = new ProtocolError(tag, ErrorCodes.UnknownCommand, "empty line; type help for the commands");
            return false;
        }

        if (!CommandTable.TryFind(word.ToString(), out var definition))
        {
            error = new ProtocolError(tag, ErrorCodes.UnknownCommand, $"unknown command '{Printable(word)}'; type help for the commands");
            return false;
        }

        var spec = definition.Spec;
        var args = new List<string>(spec.Required.Length + spec.Optional.Length + 1);
        foreach (var name in spec.Required)
        {
            var value = NextWord(ref rest);
            if (value.IsEmpty)
            {
                error = new ProtocolError(tag, ErrorCodes.MissingArgument, $"missing <{name}>; usage: {spec.Usage}");
                return false;
            }

            args.Add(value.ToString());
        }

        foreach (var _ in spec.Optional)
        {
            var value = NextWord(ref rest);
            if (!value.IsEmpty)
            {
                args.Add(value.ToString());
            }
        }

        if (spec.TakesText)
        {
            if (rest.IsEmpty)
            {
                error = new ProtocolError(tag, ErrorCodes.MissingArgument, $"missing <text>; usage: {spec.Usage}");
                return false;
            }

            args.Add(rest.ToString());
        }
        else if (!rest.IsEmpty)
        {
            error = new ProtocolError(tag, ErrorCodes.BadArgument, $"too many parameters; usage: {spec.Usage}");
            return false;
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

    /// <summary>The command word of <paramref name="line"/> (after a tag) if it is a known verb, else null.</summary>
    public static string? KnownVerb(string line)
    {
        var rest = line.AsSpan().Trim();
        var word = NextWord(ref rest);
        if (word.Length > 1 && word[0] == '#')
        {
            word = NextWord(ref rest);
        }

        return CommandTable.TryFind(word.ToString(), out var definition) ? definition.Name : null;
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

    private static ReadOnlySpan<char> NextWord(ref ReadOnlySpan<char> rest)
    {
        rest = rest.TrimStart();
        var end = rest.IndexOfAny(' ', '\t');
        var word = end < 0 ? rest : rest[..end];
        rest = end < 0 ? [] : rest[end..].TrimStart();
        return word;
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
}
