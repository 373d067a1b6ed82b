using System.Buffers;

namespace ChatRoom.Protocol;

/// <summary>What <see cref="LineFramer.TryRead"/> found.</summary>
internal enum FrameStatus
{
    /// <summary>No complete line yet.</summary>
    NeedMore,

    /// <summary>A line (without its CR LF or LF).</summary>
    Line,

    /// <summary>A line over the limit; its bytes are being skipped up to the next newline.</summary>
    TooLong,
}

/// <summary>
/// Splits a byte stream into newline-terminated lines of at most a given length, without copying. An over-long line is
/// reported once, as soon as it is known to be too long, and then skipped without buffering it.
/// </summary>
internal sealed class LineFramer(int maxLineBytes)
{
    private bool _skipping;

    public int MaxLineBytes { get; } = maxLineBytes;

    public FrameStatus TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        line = default;
        while (true)
        {
            var newline = buffer.PositionOf((byte)'\n');
            if (_skipping)
            {
                if (newline is null)
                {
                    buffer = buffer.Slice(buffer.End);
                    return FrameStatus.NeedMore;
                }

                buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
                _skipping = false;
                continue;
            }

            if (newline is null)
            {
                if (buffer.Length > MaxLineBytes)
                {
                    buffer = buffer.Slice(buffer.End);
                    _skipping = true;
                    return FrameStatus.TooLong;
                }

                return FrameStatus.NeedMore;
            }

            line = buffer.Slice(0, newline.Value);
            buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
            if (line.Length > 0 && EndsWithCarriageReturn(line))
            {
                line = line.Slice(0, line.Length - 1);
            }

            return line.Length > MaxLineBytes ? FrameStatus.TooLong : FrameStatus.Line;
        }
    }

    private static bool EndsWithCarriageReturn(in ReadOnlySequence<byte> line)
    {
        var last = line.Slice(line.Length - 1);
        return last.FirstSpan[0] == (byte)'\r';
    }
}
