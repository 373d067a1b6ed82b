using ChatRoom.Consent;

namespace ChatRoom.Protocol;

/// <summary>
/// The free text of the server's <c>error refused &lt;reason&gt;</c> line, for a person speaking the raw protocol. Clients
/// word their own sentence from the reason code. Only the server uses it (its command dispatcher).
/// </summary>
internal static class ConsentText
{
    /// <summary>E.g. <c>getaddress columbia refused: offline</c>.</summary>
    public static string Describe(string target, ConsentRefusal reason) => $"getaddress {target} refused: {WireFormat.Kebab(reason)}";
}
