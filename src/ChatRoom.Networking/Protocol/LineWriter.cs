using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using ChatRoom.Messaging;
using ChatRoom.Sessions;

namespace ChatRoom.Protocol;

/// <summary>
/// Writes lines into a <see cref="PipeWriter"/> and sends them with one flush: <see cref="Write(string)"/> (or
/// <see cref="Write(SessionNotice)"/>) as many lines as are ready, then <see cref="FlushAsync"/> once, so a burst of lines
/// costs one send. Lines are encoded straight into the pipe's buffer as UTF-8 and ended with LF. Not thread-safe: one writer
/// loop owns it.
/// </summary>
internal sealed class LineWriter
{
    private static readonly Func<SessionNotice, byte[]> s_encode = WireFormat.Encode;
    private readonly PipeWriter _output;

    /// <summary>Writes into <paramref name="output"/>.</summary>
    public LineWriter(PipeWriter output) => _output = output ?? throw new ArgumentNullException(nameof(output));

    /// <summary>Buffers <paramref name="line"/> (which must not contain a line break) followed by LF.</summary>
    public void Write(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        Encoding.UTF8.GetBytes(line, _output);
        _output.GetSpan(1)[0] = (byte)'\n';
        _output.Advance(1);
    }

    /// <summary>Buffers the server line for <paramref name="notice"/> (see <see cref="WireFormat"/>).</summary>
    /// <remarks>
    /// A presence change or a broadcast is one notice instance posted to every recipient: it is formatted once, by the
    /// first connection that writes it, and the others copy its bytes. Anything else is formatted straight into the pipe.
    /// </remarks>
    public void Write(SessionNotice notice)
    {
        if (IsShared(notice))
        {
            _output.Write(notice.GetEncoded(s_encode));
        }
        else
        {
            WireFormat.Write(_output, notice);
        }
    }

    private static bool IsShared(SessionNotice notice)
        => notice is PresenceNotice or MessageNotice { FromOfflineStore: false, Message.Kind: MessageKind.Broadcast };

    /// <summary>Sends everything buffered. Returns false when the other side has stopped reading (the pipe is completed).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<bool> FlushAsync(CancellationToken cancellationToken = default)
    {
        var result = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return !result.IsCompleted && !result.IsCanceled;
    }

    /// <summary>Completes the pipe writer (what is still buffered is flushed by the pipe, if it can be).</summary>
    public ValueTask CompleteAsync() => _output.CompleteAsync();
}
