using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using ChatRoom.Messaging;
using ChatRoom.Protocol;

namespace ChatRoom.Peer;

/// <summary>
/// The peer-to-peer line protocol. The requester opens with <c>peer-hello &lt;user&gt; &lt;token&gt;</c>; the target answers
/// <c>peer-ok</c> or <c>peer-refused :&lt;why&gt;</c>. Then each <c>pmsg &lt;id&gt; &lt;time&gt; :&lt;text&gt;</c> is answered by
/// <c>pack &lt;id&gt;</c> once the target has taken it.
/// </summary>
internal static class PeerWire
{
    // Room for the server's largest message text (4 KiB of UTF-8) with the id and time in front, and to spare.
    public const int MaxLineBytes = 16 * 1024;

    // The last millisecond a DateTimeOffset holds (9999-12-31); a later time is a malformed line, not an exception.
    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    public static string Hello(string user, string token) => $"peer-hello {user} {token}";

    public static string Message(string id, DateTimeOffset sentAt, string text)
        => $"pmsg {id} {sentAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)} :{text}";

    public static string Ack(string id) => $"pack {id}";

    /// <summary>Reads <c>peer-hello &lt;user&gt; &lt;token&gt;</c>; false for any other line.</summary>
    public static bool TryParseHello(string line, out string user, out string token)
    {
        var (kind, fields, _) = PeerLineConnection.Split(line);
        var ok = kind == "peer-hello" && fields.Length == 2;
        user = ok ? fields[0] : string.Empty;
        token = ok ? fields[1] : string.Empty;
        return ok;
    }

    /// <summary>Reads <c>pmsg &lt;id&gt; &lt;time&gt; :&lt;text&gt;</c>; false for any other line or a field out of range.</summary>
    public static bool TryParseMessage(string line, out MessageId id, out DateTimeOffset sentAt, out string text)
    {
        var (kind, fields, rest) = PeerLineConnection.Split(line);
        id = default;
        sentAt = default;
        text = rest ?? string.Empty;
        if (kind != "pmsg" || fields.Length != 2 || !MessageId.TryParse(fields[0], out id)
            || !long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var millis)
            || millis > MaxUnixMilliseconds)
        {
            return false;
        }

        sentAt = DateTimeOffset.FromUnixTimeMilliseconds(millis);
        return true;
    }
}

/// <summary>
/// One peer connection as lines, on the shared <see cref="LineReader"/> and <see cref="LineWriter"/>. One reader and one
/// writer at a time: the listener serves each connection from one loop, the transport under its per-peer gate.
/// </summary>
internal sealed class PeerLineConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly LineReader _reader;
    private readonly LineWriter _writer;
    private int _disposed;

    /// <summary>Lines over <paramref name="stream"/> (the socket's own, or TLS over it), which the connection owns.</summary>
    public PeerLineConnection(Stream stream)
    {
        _stream = stream;
        _reader = new LineReader(PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true)), PeerWire.MaxLineBytes);
        _writer = new LineWriter(PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true)));
    }

    /// <summary>The next line, or null when the peer closed the connection. Over-long and non-UTF-8 lines are skipped.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            while (_reader.TryRead(out var line))
            {
                if (line.Status == LineStatus.Complete)
                {
                    return line.GetString();
                }
            }

            if (!await _reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    /// <exception cref="IOException">The peer is gone.</exception>
    public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        _writer.Write(line);
        if (!await _writer.FlushAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new IOException("the peer connection is closed");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The socket goes first, so a pending read or flush fails at once instead of waiting on a dead peer.
        await _stream.DisposeAsync().ConfigureAwait(false);
        await _reader.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // Unsent bytes for a closed connection have nowhere to go.
        }
    }

    /// <summary>Splits <c>kind field* [:text]</c> as server lines are split; an empty line has an empty kind.</summary>
    public static (string Kind, string[] Fields, string? Text) Split(string line)
    {
        try
        {
            var (kind, _, fields, text) = WireFormat.Split(line);
            return (kind, fields, text);
        }
        catch (FormatException)
        {
            return (string.Empty, [], null);
        }
    }
}
