namespace ChatRoom.Protocol.Commands;

/// <summary>
/// Every command, in the order of the help. Each is defined in its own file; this list is where it joins the parser,
/// the server's dispatcher, the help and the docs, and the SDK finds the one it sends here.
/// </summary>
internal static class CommandTable
{
    public static LoginCommand Login { get; } = new();

    public static MessageCommand Message { get; } = new();

    public static BroadcastCommand Broadcast { get; } = new();

    public static OnlineCommand Online { get; } = new();

    public static BlockCommand Block { get; } = new();

    public static UnblockCommand Unblock { get; } = new();

    public static LogoutCommand Logout { get; } = new();

    public static GetAddressCommand GetAddress { get; } = new();

    public static ConsentCommand Consent { get; } = new();

    public static HeartbeatCommand Heartbeat { get; } = new();

    public static HelpCommand Help { get; } = new();

    public static AckCommand Ack { get; } = new();

    /// <summary>All of them, in the order of the help.</summary>
    public static IReadOnlyList<ChatCommand> All { get; } = [Login, Message, Broadcast, Online, Block, Unblock, Logout, GetAddress, Consent, Heartbeat, Help, Ack];

    private static readonly Dictionary<string, ChatCommand> s_byName = All.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

    // Looks a word up where it lies in the line, without making a string of it.
    private static readonly Dictionary<string, ChatCommand>.AlternateLookup<ReadOnlySpan<char>> s_bySpan = s_byName.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The command whose word is <paramref name="name"/>, any case.</summary>
    public static bool TryFind(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ChatCommand? command) => s_byName.TryGetValue(name, out command);

    /// <summary>The command whose word is <paramref name="name"/>, any case.</summary>
    public static bool TryFind(ReadOnlySpan<char> name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ChatCommand? command) => s_bySpan.TryGetValue(name, out command);
}
