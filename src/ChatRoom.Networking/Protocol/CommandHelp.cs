using ChatRoom.Protocol.Commands;

namespace ChatRoom.Protocol;

/// <summary>
/// A command of the wire protocol as a person types it, for a client's help screen. These come from the same command
/// table the server parses with and prints for <c>help</c>.
/// </summary>
public sealed class CommandHelp
{
    private CommandHelp(VerbSpec spec)
    {
        Name = spec.Name;
        Usage = spec.Usage;
        Summary = spec.Summary;
        RequiresLogin = spec.RequiresLogin;
    }

    /// <summary>Every command the server understands, in the order of its help.</summary>
    public static IReadOnlyList<CommandHelp> All { get; } = CommandTable.All.Select(c => new CommandHelp(c.Spec)).ToArray();

    /// <summary>Its word, e.g. <c>message</c>.</summary>
    public string Name { get; }

    /// <summary>How it is written, e.g. <c>message &lt;user&gt; &lt;text&gt;</c>.</summary>
    public string Usage { get; }

    /// <summary>What it does, in one line.</summary>
    public string Summary { get; }

    /// <summary>Whether the server refuses it before login.</summary>
    public bool RequiresLogin { get; }

    /// <summary>The command whose word is <paramref name="name"/> (any case).</summary>
    /// <exception cref="KeyNotFoundException">The server has no such command.</exception>
    public static CommandHelp Get(string name)
        => All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)) ?? throw new KeyNotFoundException($"No command named '{name}'.");
}
