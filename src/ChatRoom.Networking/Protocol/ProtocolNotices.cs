using ChatRoom.Sessions;

namespace ChatRoom.Protocol;

/// <summary>The server's greeting: its name, the protocol version and the heartbeat interval it expects.</summary>
/// <param name="ServerName">The server's name.</param>
/// <param name="ProtocolVersion">The protocol version; this SDK speaks <see cref="WireFormat.ProtocolVersion"/>.</param>
/// <param name="HeartbeatInterval">How often the client should send a heartbeat.</param>
public sealed record HelloNotice(string ServerName, int ProtocolVersion, TimeSpan HeartbeatInterval) : SessionNotice;

/// <summary>The user logged in from elsewhere; this session is over and the connection closes.</summary>
/// <param name="NewAddress">The address of the new login.</param>
public sealed record DisplacedNotice(string NewAddress) : SessionNotice;

/// <summary>The server is closing this connection.</summary>
/// <param name="Reason">Why, machine-readable: <c>logout</c>, <c>expired</c>, <c>shutdown</c>, <c>slow-reader</c>.</param>
/// <param name="Text">What a person reads.</param>
public sealed record ByeNotice(string Reason, string Text) : SessionNotice;

/// <summary>The answer to one command: <c>ok</c> with fields, or <c>error</c> with a code.</summary>
/// <param name="Tag">The tag of the command it answers, or null.</param>
/// <param name="Ok">True for <c>ok</c>, false for <c>error</c>.</param>
/// <param name="Head">The verb answered (ok) or the error code (error).</param>
/// <param name="Fields">Further words.</param>
/// <param name="Text">Free text for a person, or null.</param>
internal sealed record ReplyNotice(string? Tag, bool Ok, string Head, IReadOnlyList<string> Fields, string? Text) : SessionNotice
{
    public static ReplyNotice Success(string? tag, string verb, params IReadOnlyList<string> fields) => new(tag, true, verb, fields, null);

    public static ReplyNotice Failure(string? tag, string code, string text) => new(tag, false, code, [], text);

    public static ReplyNotice Failure(string? tag, string code, IReadOnlyList<string> fields, string text) => new(tag, false, code, fields, text);

    public static ReplyNotice Failure(ProtocolError error) => Failure(error.Tag, error.Code, error.Text);

    public bool Equals(ReplyNotice? other)
        => other is not null && Tag == other.Tag && Ok == other.Ok && Head == other.Head && Text == other.Text && Fields.SequenceEqual(other.Fields);

    public override int GetHashCode() => HashCode.Combine(Tag, Ok, Head, Text, Fields.Count);
}
