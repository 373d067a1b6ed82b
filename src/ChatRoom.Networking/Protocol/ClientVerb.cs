namespace ChatRoom.Protocol;

/// <summary>The commands a client can send.</summary>
internal enum ClientVerb
{
    Login,
    Message,
    Broadcast,
    Online,
    Block,
    Unblock,
    Logout,
    GetAddress,
    Consent,
    Heartbeat,
    Help,
    Ack,
}

/// <summary>
/// One row of the command table: a verb, its parameters and its help. The parser, the client SDK's formatter, the help
/// line and docs/protocol.md all come from these rows.
/// </summary>
/// <param name="Verb">The verb.</param>
/// <param name="Name">Its word on the wire.</param>
/// <param name="Required">Parameters that must be present.</param>
/// <param name="Optional">Parameters that may follow the required ones.</param>
/// <param name="TakesText">Whether the rest of the line, spaces included, is one last text parameter.</param>
/// <param name="RequiresLogin">Whether it is refused before login.</param>
/// <param name="Summary">One line of help.</param>
/// <param name="TextName">What the trailing text is called in the usage line.</param>
internal sealed record VerbSpec(ClientVerb Verb, string Name, string[] Required, string[] Optional, bool TakesText, bool RequiresLogin, string Summary, string TextName = "text")
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

/// <summary>The command table.</summary>
internal static class CommandTable
{
    public static IReadOnlyList<VerbSpec> All { get; } =
    [
        new(ClientVerb.Login, "login", ["user", "password"], ["peer-port", "peer-address"], false, false, "log in; peer-port (and peer-address) is where you accept private chats"),
        new(ClientVerb.Message, "message", ["user"], [], true, true, "send a message (stored if the user is offline)"),
        new(ClientVerb.Broadcast, "broadcast", [], [], true, true, "send a message to everyone online"),
        new(ClientVerb.Online, "online", [], [], false, true, "list who is online"),
        new(ClientVerb.Block, "block", ["user"], [], false, true, "stop a user from messaging you or seeing you"),
        new(ClientVerb.Unblock, "unblock", ["user"], [], false, true, "undo a block"),
        new(ClientVerb.Logout, "logout", [], [], false, true, "log out and close the connection"),
        new(ClientVerb.GetAddress, "getaddress", ["user"], [], false, true, "ask a user for their address to chat privately"),
        new(ClientVerb.Consent, "consent", ["user", "yes|no"], [], false, true, "answer a user's getaddress"),
        new(ClientVerb.Heartbeat, "heartbeat", [], [], false, true, "tell the server you are still there"),
        new(ClientVerb.Help, "help", [], [], false, false, "list the commands"),
        new(ClientVerb.Ack, "ack", [], [], true, true, "confirm you have received messages (by id); the only command without a reply", "id..."),
    ];

    private static readonly Dictionary<string, VerbSpec> s_byName = All.ToDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);

    public static bool TryFind(string name, out VerbSpec spec) => s_byName.TryGetValue(name, out spec!);

    public static VerbSpec Get(ClientVerb verb) => All[(int)verb];
}
