using ChatRoom.Auth;

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

        if (!CommandTable.TryFind(word.ToString(), out var spec))
        {
            error = new ProtocolError(tag, ErrorCodes.UnknownCommand, $"unknown command '{Printable(word)}'; type help for the commands");
            return false;
        }

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

        command = new ClientCommand(spec, tag, args);
        var problem = Validate(command);
        if (problem is not null)
        {
            error = new ProtocolError(tag, ErrorCodes.BadArgument, $"{problem}; usage: {spec.Usage}");
            return false;
        }

        return true;
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

        switch (command.Verb)
        {
            case ClientVerb.Login when command.OptionalArg(2) is { } port && !TryParsePort(port, out _):
                return "peer-port must be a number from 1 to 65535";
            case ClientVerb.Login when command.OptionalArg(3) is { } address && !System.Net.IPAddress.TryParse(address, out _):
                return "peer-address must be an IP address";
            case ClientVerb.Consent when ParseAnswer(command.Arg(1)) is null:
                return "the answer is yes or no";
            case ClientVerb.Message or ClientVerb.Broadcast when command.Args[^1].Any(c => char.IsControl(c) && c != '\t'):
                return "text may not contain control characters";
            default:
                return null;
        }
    }

    public static bool TryParsePort(string text, out int port)
        => int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;

    /// <summary>yes / y → true, no / n → false, anything else null.</summary>
    public static bool? ParseAnswer(string text) => text.ToUpperInvariant() switch
    {
        "YES" or "Y" => true,
        "NO" or "N" => false,
        _ => null,
    };

    private static ReadOnlySpan<char> NextWord(ref ReadOnlySpan<char> rest)
    {
        rest = rest.TrimStart();
        var end = rest.IndexOfAny(' ', '\t');
        var word = end < 0 ? rest : rest[..end];
        rest = end < 0 ? [] : rest[end..].TrimStart();
        return word;
    }

    // Echoed input is cut short and stripped of control characters so an error line cannot carry a terminal escape.
    private static string Printable(ReadOnlySpan<char> text)
    {
        var cut = text.Length > 32 ? text[..32] : text;
        var chars = cut.ToArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsControl(chars[i]))
            {
                chars[i] = '?';
            }
        }

        return text.Length > 32 ? new string(chars) + "…" : new string(chars);
    }
}
