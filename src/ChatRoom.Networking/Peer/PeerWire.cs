using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using ChatRoom.Protocol;

namespace ChatRoom.Peer;

/// <summary>
/// The peer-to-peer line protocol. The requester opens with <c>peer-hello &lt;user&gt; &lt;token&gt;</c>; the target answers
/// <c>peer-ok</c> or <c>peer-refused :&lt;why&gt;</c>. Then each <c>pmsg &lt;id&gt; &lt;time&gt; :&lt;text&gt;</c> is answered by
/// <c>pack &lt;id&gt;</c> once the target has taken it.
/// </summary>
internal static class PeerWire
{
    public const int MaxLineBytes = 16 * 1024;

    public static string Hello(string user, string token) => $"peer-hello {user} {token}";

    public static string Message(string id, DateTimeOffset sentAt, string text)
        => $"pmsg {id} {sentAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)} :{text}";

    public static string Ack(string id) => $"pack {id}";
}

/// <summary>One peer connection as lines: pooled pipe buffers for reading, a lock so writes never interleave.</summary>
internal sealed class PeerLineConnection : IAsyncDisposable
{
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly LineFramer _framer = new(PeerWire.MaxLineBytes);
    private readonly Queue<string> _ready = new();

    public PeerLineConnection(Socket socket)
    {
        socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    /// <summary>The next line, or null when the peer closed the connection.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (_ready.Count == 0)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            while (_framer.TryRead(ref buffer, out var line) is var status && status != FrameStatus.NeedMore)
            {
                if (status == FrameStatus.Line)
                {
                    _ready.Enqueue(Encoding.UTF8.GetString(line));
                }
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted && _ready.Count == 0)
            {
                return null;
            }
        }

        return _ready.Dequeue();
    }

    public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(line.Length) + 1);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var count = Encoding.UTF8.GetBytes(line, bytes);
            bytes[count] = (byte)'\n';
            await _stream.WriteAsync(bytes.AsMemory(0, count + 1), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        await _input.CompleteAsync().ConfigureAwait(false);
        _writeLock.Dispose();
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
