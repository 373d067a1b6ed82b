using ChatRoom.Protocol.Commands;

namespace ChatRoom.Protocol;

/// <summary>A parsed client command.</summary>
/// <param name="Definition">The command it is.</param>
/// <param name="Tag">The request tag the client put before the verb (<c>#12</c>), echoed in the reply; null if none.</param>
/// <param name="Args">Its parameters in table order; the text, if the verb takes one, last.</param>
internal sealed record ClientCommand(ChatCommand Definition, string? Tag, IReadOnlyList<string> Args)
{
    /// <summary>Its row in the command table.</summary>
    public VerbSpec Spec => Definition.Spec;

    public string Arg(int index) => Args[index];

    public string? OptionalArg(int index) => index < Args.Count ? Args[index] : null;
}

/// <summary>Why a line could not be understood. Becomes one <c>error</c> line; the connection stays usable.</summary>
/// <param name="Tag">The tag, if the line had one.</param>
/// <param name="Code">The machine-readable code.</param>
/// <param name="Text">What a person reads.</param>
internal sealed record ProtocolError(string? Tag, string Code, string Text);
