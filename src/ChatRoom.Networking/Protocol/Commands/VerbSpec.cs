namespace ChatRoom.Protocol.Commands;

/// <summary>
/// A command's row in the command table: its word, its parameters and its help. The parser, the usage lines, the
/// server's <c>help</c>, the console help (through <see cref="CommandHelp"/>) and docs/protocol.md all come from it.
/// </summary>
/// <param name="Name">Its word on the wire.</param>
/// <param name="Required">Parameters that must be present.</param>
/// <param name="Optional">Parameters that may follow the required ones.</param>
/// <param name="TakesText">Whether the rest of the line, spaces included, is one last text parameter.</param>
/// <param name="RequiresLogin">Whether it is refused before login.</param>
/// <param name="Summary">One line of help.</param>
/// <param name="TextName">What the trailing text is called in the usage line.</param>
internal sealed record VerbSpec(string Name, string[] Required, string[] Optional, bool TakesText, bool RequiresLogin, string Summary, string TextName = "text")
{
    /// <summary>How it is written, e.g. <c>message &lt;user&gt; &lt;text&gt;</c>.</summary>
    public string Usage
    {
        get
        {
            var parts = new List<string> { Name };
            parts.AddRange(Required.Select(p => $"<{p}>"));
            parts.AddRange(Optional.Select(p => $"[{p}]"));
            if (TakesText)
            {
                parts.Add($"<{TextName}>");
            }

            return string.Join(' ', parts);
        }
    }
}
