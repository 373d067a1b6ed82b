using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Unicode;
using System.Threading.Channels;
using ChatRoom.Presence;
using ChatRoom.Protocol;
using ChatRoom.Sessions;
using Microsoft.Extensions.Logging;

namespace ChatRoom.Server;

/// <summary>
/// One client connection: a read loop that frames lines and hands them to the dispatcher in order, and a write loop that
/// drains a bounded queue into the socket, flushing once per batch. A client that lets its queue fill is disconnected.
/// </summary>
internal sealed class ServerConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Channel<SessionNotice> _outbound;
    private readonly CancellationTokenSource _aborted = new();
    private readonly Lock _gate = new();
    private readonly ChatServerOptions _options;
    private readonly ILogger _logger;
    private readonly HashSet<Messaging.MessageId> _heldIds = [];
    private HashSet<Messaging.MessageId> _caughtUpIds = [];
    private HashSet<Messaging.MessageId>? _deliveredAtLogin;
    private List<SessionNotice>? _held;
    private SessionInfo? _session;
    private volatile bool _closing;

    private readonly TimeSpan _heartbeatInterval;

    public ServerConnection(Socket socket, ChatServerOptions options, TimeSpan heartbeatInterval, ILogger logger)
    {
        _heartbeatInterval = heartbeatInterval;
        _socket = socket;
        _options = options;
        _logger = logger;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true));
        _output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 4096, leaveOpen: true));
        _outbound = Channel.CreateBounded<SessionNotice>(new BoundedChannelOptions(options.OutboundQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var remote = socket.RemoteEndPoint as IPEndPoint;
        var address = remote?.Address is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : remote?.Address;
        RemoteAddress = address?.ToString() ?? "unknown";
        Name = remote is null ? "unknown" : $"{RemoteAddress}:{remote.Port}";
    }

    /// <summary>The client's IP address.</summary>
    public string RemoteAddress { get; }

    /// <summary>Address and port, for logs.</summary>
    public string Name { get; }

    /// <summary>The session logged in on this connection, or null.</summary>
    public SessionInfo? Session => Volatile.Read(ref _session);

    public void AttachSession(SessionInfo session) => Volatile.Write(ref _session, session);

    /// <summary>Detaches the session if it is still <paramref name="id"/>; exactly one caller wins.</summary>
    public bool TryDetachSession(SessionId id)
    {
        var current = Volatile.Read(ref _session);
        return current is not null && current.Id == id && Interlocked.CompareExchange(ref _session, null, current) == current;
    }

    /// <summary>Queues a notice from elsewhere (another user's message, presence). While catching up after login, live notices wait behind stored ones.</summary>
    public bool TryPost(SessionNotice notice)
    {
        if (Volatile.Read(ref _held) is not null)
        {
            lock (_gate)
            {
                if (_held is not null)
                {
                    return Hold(notice);
                }
            }
        }

        // A live copy of a message the login hand-over already sent (it was stored first) must not go out twice.
        if (Volatile.Read(ref _deliveredAtLogin) is { } delivered && notice is MessageNotice { FromOfflineStore: false } live && delivered.Contains(live.Message.Id))
        {
            return true;
        }

        return Enqueue(notice);
    }

    // While catching up, a message sent just after login is both in storage and live: exactly one copy goes out.
    private bool Hold(SessionNotice notice)
    {
        if (notice is MessageNotice { FromOfflineStore: true } stored)
        {
            if (_heldIds.Contains(stored.Message.Id))
            {
                return true; // its live copy is waiting and will deliver it in order
            }

            _caughtUpIds.Add(stored.Message.Id);
            return Enqueue(notice);
        }

        if (_held!.Count >= _options.OutboundQueueCapacity)
        {
            return Overflow();
        }

        if (notice is MessageNotice live)
        {
            _heldIds.Add(live.Message.Id);
        }

        _held.Add(notice);
        return true;
    }

    /// <summary>Queues this connection's own reply.</summary>
    public void Send(SessionNotice notice) => Enqueue(notice);

    /// <summary>From now until <see cref="EndCatchUp"/>, live notices are held so that stored messages go first.</summary>
    public void BeginCatchUp()
    {
        lock (_gate)
        {
            _held = [];
        }
    }

    public void EndCatchUp()
    {
        lock (_gate)
        {
            foreach (var notice in _held ?? [])
            {
                if (notice is not MessageNotice m || !_caughtUpIds.Contains(m.Message.Id))
                {
                    Enqueue(notice);
                }
            }

            _held = null;
            _heldIds.Clear();

            // Kept, never changed again, so the lock-free check in TryPost can read it.
            Volatile.Write(ref _deliveredAtLogin, _caughtUpIds.Count > 0 ? _caughtUpIds : null);
            _caughtUpIds = [];
        }
    }

    /// <summary>Writes <paramref name="final"/> after everything queued, then closes the connection.</summary>
    public void CloseWith(SessionNotice final)
    {
        if (_closing)
        {
            return;
        }

        if (!_outbound.Writer.TryWrite(final))
        {
            Abort();
            return;
        }

        _closing = true;
        _outbound.Writer.TryComplete();
    }

    /// <summary>Drops the connection now, without flushing.</summary>
    public void Abort()
    {
        _closing = true;
        _outbound.Writer.TryComplete();
        _aborted.Cancel();
    }

    public async Task RunAsync(CommandDispatcher dispatcher)
    {
        Send(new HelloNotice(_options.ServerName, WireFormat.ProtocolVersion, _heartbeatInterval));
        var writing = WriteLoopAsync();
        try
        {
            await ReadLoopAsync(dispatcher, _aborted.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The client went away or we aborted: either way the session ends below.
        }
        finally
        {
            await dispatcher.ConnectionClosedAsync(this).ConfigureAwait(false);
            _closing = true;
            _outbound.Writer.TryComplete();
            try
            {
                await writing.WaitAsync(_options.ShutdownTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _aborted.Cancel();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _aborted.Cancel();

        // Close the socket first: completing a pipe writer flushes what is left, which must not wait on a dead peer.
        await _stream.DisposeAsync().ConfigureAwait(false);
        await _input.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // Unsent bytes for a closed connection have nowhere to go.
        }

        _aborted.Dispose();
    }

    private async Task ReadLoopAsync(CommandDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var framer = new LineFramer(_options.MaxLineBytes);
        while (!_closing)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                while (!_closing)
                {
                    var status = framer.TryRead(ref buffer, out var line);
                    if (status == FrameStatus.NeedMore)
                    {
                        break;
                    }

                    if (status == FrameStatus.TooLong)
                    {
                        dispatcher.ProtocolError(this, new ProtocolError(null, ErrorCodes.LineTooLong, $"line longer than {_options.MaxLineBytes} bytes; it was ignored"));
                        continue;
                    }

                    if (Decode(line) is { } text)
                    {
                        await dispatcher.HandleLineAsync(this, text, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        dispatcher.ProtocolError(this, new ProtocolError(null, ErrorCodes.InvalidUtf8, "line is not valid UTF-8; it was ignored"));
                    }
                }
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_aborted.Token).ConfigureAwait(false))
            {
                // Everything queued goes out in one flush: one send for a burst of lines.
                while (reader.TryRead(out var notice))
                {
                    WireFormat.Write(_output, notice);
                }

                var flushed = await _output.FlushAsync(_aborted.Token).ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }
            }

            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The connection broke while writing; the read loop notices and ends the session.
        }
        finally
        {
            // Nothing more will be written: stop reading too.
            _closing = true;
            _aborted.Cancel();
        }
    }

    private bool Enqueue(SessionNotice notice)
    {
        if (_outbound.Writer.TryWrite(notice))
        {
            return true;
        }

        return !_closing && Overflow();
    }

    private bool Overflow()
    {
        ServerLog.SlowReaderDisconnected(_logger, Name, Session?.User ?? "-", _options.OutboundQueueCapacity);
        Abort();
        return false;
    }

    private static string? Decode(in ReadOnlySequence<byte> line)
    {
        if (line.IsSingleSegment)
        {
            return Utf8.IsValid(line.FirstSpan) ? Encoding.UTF8.GetString(line.FirstSpan) : null;
        }

        var rented = ArrayPool<byte>.Shared.Rent((int)line.Length);
        try
        {
            var span = rented.AsSpan(0, (int)line.Length);
            line.CopyTo(span);
            return Utf8.IsValid(span) ? Encoding.UTF8.GetString(span) : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
