using ChatRoom.Protocol.Commands;

namespace ChatRoom.Networking.Tests.Protocol;

/// <summary>Keeps docs/protocol.md's command table what the command definitions say.</summary>
public sealed class CommandTableDocTests
{
    // Built from parts so that this file's own text is not mistaken for the markers.
    private const string Begin = "<!-- command table: generated from src/ChatRoom.Networking/Protocol/Commands" + " -->";
    private const string End = "<!-- end of command table" + " -->";

    [Fact]
    public void The_protocol_doc_lists_every_command_as_the_table_defines_it()
    {
        var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        var doc = File.ReadAllText(Path.Combine(root, "docs/protocol.md")).ReplaceLineEndings("\n");
        var expected = $"{Begin}\n{Render()}\n{End}";

        Assert.True(
            doc.Contains(expected, StringComparison.Ordinal),
            $"docs/protocol.md's command table differs from the command definitions; replace it with:\n\n{expected}\n");
    }

    private static string Render()
    {
        var lines = new List<string> { "| command | needs login | what it does |", "|---|---|---|" };
        lines.AddRange(CommandTable.All.Select(c => $"| `{Cell(c.Spec.Usage)}` | {(c.Spec.RequiresLogin ? "yes" : "no")} | {Cell(c.Spec.Summary)} |"));
        return string.Join('\n', lines);
    }

    // A bar ends a Markdown table cell, even inside backticks.
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
