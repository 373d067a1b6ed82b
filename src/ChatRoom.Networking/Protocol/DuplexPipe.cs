using System.IO.Pipelines;

namespace ChatRoom.Protocol;

/// <summary>A reader and a writer that make one connection: a socket's two directions, or two in-memory pipes in tests.</summary>
/// <param name="Input">What the other side sends.</param>
/// <param name="Output">What goes to the other side.</param>
internal sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
