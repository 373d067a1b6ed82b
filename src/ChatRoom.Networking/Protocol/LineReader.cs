using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Unicode;

namespace ChatRoom.Protocol;

/// <summary>What a <see cref="LineReader"/> found in one line.</summary>
internal enum LineStatus
{
    /// <summary>A complete line of valid UTF-8 (without its CR LF or LF).</summary>
    Complete,

    /// <summary>A line over the limit; its bytes were skipped and <see cref="ReadLine.Bytes"/> is empty.</summary>
    TooLong,

    /// <summary>A complete line that is not valid UTF-8; <see cref="ReadLine.Bytes"/> holds it as received.</summary>
    InvalidUtf8,
}

/// <summary>One line handed out by <see cref="LineReader.TryRead"/>. Its bytes are valid until the next <see cref="LineReader.ReadAsync"/>.</summary>
/// <param name="Status">Complete, too long, or not UTF-8.</param>
/// <param name="Bytes">The line's bytes without the line ending, still in the pipe's buffer.</param>
internal readonly record struct ReadLine(LineStatus Status, ReadOnlySequence<byte> Bytes)
{
    /// <summary>The line as text; invalid bytes become U+FFFD.</summary>
    public string GetString() => Encoding.UTF8.GetString(Bytes);
}

/// <summary>
/// Reads newline-terminated lines from a <see cref="PipeReader"/>. Each <see cref="ReadAsync"/> waits for more bytes; then
/// <see cref="TryRead"/> hands out every complete line already received, without copying, before the caller awaits again:
///
/// <code>
/// while (await reader.ReadAsync(ct))
/// {
///     while (reader.TryRead(out var line)) { /* line.Status, line.Bytes, line.GetString() */ }
/// }
/// </code>
///
/// Lines longer than the limit are reported once as <see cref="LineStatus.TooLong"/> and skipped without being buffered.
/// Not thread-safe: one reader loop owns it.
/// </summary>
internal sealed class LineReader
{
    private readonly PipeReader _input;
    private readonly LineFramer _framer;
    private ReadOnlySequence<byte> _buffer;
    private bool _holding;
    private bool _ended;

    /// <summary>Reads from <paramref name="input"/>, accepting lines of at most <paramref name="maxLineBytes"/> bytes.</summary>
    public LineReader(PipeReader input, int maxLineBytes)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLineBytes);
        _input = input;
        _framer = new LineFramer(maxLineBytes);
    }

    /// <summary>
    /// Releases the lines handed out so far and waits for more bytes; call it once <see cref="TryRead"/> has returned false. Returns false once the other side has finished (or
    /// the read was cancelled with <see cref="PipeReader.CancelPendingRead"/>) and every complete line has been handed out;
    /// an unterminated last line is dropped.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default)
    {
        Release();
        if (_ended)
        {
            return false;
        }

        var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
        _buffer = result.Buffer;
        _holding = true;
        _ended = result.IsCompleted || result.IsCanceled;
        return true;
    }

    /// <summary>The next complete line of what the last <see cref="ReadAsync"/> received; false when there is none left.</summary>
    public bool TryRead(out ReadLine line)
    {
        switch (_framer.TryRead(ref _buffer, out var bytes))
        {
            case FrameStatus.Line:
                line = new ReadLine(IsValidUtf8(bytes) ? LineStatus.Complete : LineStatus.InvalidUtf8, bytes);
                return true;
            case FrameStatus.TooLong:
                line = new ReadLine(LineStatus.TooLong, default);
                return true;
            default:
                line = default;
                return false;
        }
    }

    /// <summary>Stops reading: completes the pipe reader. Lines handed out are no longer valid.</summary>
    public ValueTask CompleteAsync()
    {
        _holding = false;
        return _input.CompleteAsync();
    }

    // Hands the consumed bytes back to the pipe; the unfinished tail stays for the next read.
    private void Release()
    {
        if (_holding)
        {
            _holding = false;
            _input.AdvanceTo(_buffer.Start, _buffer.End);
        }
    }

    private static bool IsValidUtf8(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            return Utf8.IsValid(bytes.FirstSpan);
        }

        // Rare: a line split across buffer segments is checked whole, since a character may straddle the seam.
        var length = (int)bytes.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            bytes.CopyTo(rented);
            return Utf8.IsValid(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
