using System.Threading.Channels;
using ChatRoom.Presence;
using ChatRoom.Protocol;
using ChatRoom.Protocol.Commands;
using ChatRoom.Server.Diagnostics;
using ChatRoom.Sessions;
using ChatRoom.Transport;
using Microsoft.Extensions.Logging;

namespace ChatRoom.Server;

/// <summary>
/// One client connection over a transport: a read loop that frames lines and hands them to the dispatcher in order, and
/// a write loop that drains a bounded queue into the pipe, flushing once per batch. It is the session engine's
/// <see cref="ISessionConnection"/>; a client that lets its queue fill is disconnected. A client that sends commands
/// faster than it reads their replies is not: once half the queue is waiting, the read loop stops reading until the
/// write loop has drained it, so the client's own replies push back through TCP and the other half stays free for what
/// others send it. Presence never fills the queue either: once a quarter of it is waiting, presence changes are coalesced
/// (see <see cref="PostPresence"/>).
/// </summary>
internal sealed class ServerConnection : ISessionConnection, IAsyncDisposable
{
    // Queued to wake the write loop when coalesced presence starts waiting; never written.
    private static readonly PresenceWaiting s_presenceWaiting = new();
    private readonly TransportConnection _transport;
    private readonly Channel<SessionNotice> _outbound;
    private readonly CancellationTokenSource _aborted = new();
    private readonly ChatServerOptions _options;
    private readonly TimeSpan _heartbeatInterval;
    private readonly TimeSpan _heartbeatTimeout;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ChatServerMetrics _metrics;
    private ChatSession? _session;
    private long _loginDeadline;                // a TimeProvider timestamp; 0 until the greeting. Checked by the server's sweep.
    private volatile bool _closing;
    // Notices queued and not yet taken by the write loop, and the read loop's pause when too many are its own replies.
    private int _queued;
    private readonly int _pauseReadingAt;
    // The read loop also pauses on what its replies weigh (an `online` reply grows with the users online: a client
    // asking for it over and over without reading pinned megabytes with half a queue of lines), and on how many of its
    // messages wait for the store (one client's pipeline cannot fill the store's queue ahead of everyone else's).
    private const long PauseReadingAtReplyBytes = 256 * 1024;
    private const int MaxPipelinedMessages = 64;
    private long _replyBytes;
    private int _pipelined;
    private readonly SemaphoreSlim _drained = new(0, 1);
    private volatile bool _readingPaused;
    // Presence for a client that fell behind: the latest notice per user, not yet queued; null when none waits.
    private readonly Lock _presenceGate = new();
    private readonly int _coalescePresenceAt;
    private Dictionary<string, PresenceNotice>? _pendingPresence;
    private int _presenceQueued;                // presence notices in the queue, not yet taken by the write loop
    private SessionNotice? _final;              // the last line (bye, displaced): no coalesced presence is written after it

    public ServerConnection(TransportConnection transport, ChatServerOptions options, TimeSpan heartbeatInterval, TimeSpan heartbeatTimeout, TimeProvider time, ILogger logger, ChatServerMetrics metrics)
    {
        _metrics = metrics;
        _transport = transport;
        _options = options;
        _heartbeatInterval = heartbeatInterval;
        _heartbeatTimeout = heartbeatTimeout;
        _time = time;
        _logger = logger;
        Limits = new SessionLimits(options, time);
        _pauseReadingAt = Math.Max(1, options.OutboundQueueCapacity / 2);
        _coalescePresenceAt = Math.Max(1, options.OutboundQueueCapacity / 4);
        _outbound = Channel.CreateBounded<SessionNotice>(new BoundedChannelOptions(options.OutboundQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <inheritdoc />
    public string RemoteAddress => _transport.RemoteAddress;

    /// <summary>Address and port, for logs.</summary>
    public string Name => _transport.Name;

    /// <summary>Notices queued and not yet taken by the write loop; read by the queue-depth gauges.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>This connection's rate limits; asked by the dispatcher from the read loop.</summary>
    public SessionLimits Limits { get; }

    /// <summary>The session logged in on this connection, or null.</summary>
    public ChatSession? Session
    {
        get => Volatile.Read(ref _session);
        set => Volatile.Write(ref _session, value);
    }

    /// <inheritdoc />
    public PostOutcome TryPost(SessionNotice notice) => notice is PresenceNotice presence ? PostPresence(presence) : Enqueue(notice);

    private PostOutcome Enqueue(SessionNotice notice)
    {
        if (_outbound.Writer.TryWrite(notice))
        {
            Interlocked.Increment(ref _queued);
            return PostOutcome.Queued;
        }

        if (_closing)
        {
            return PostOutcome.Closed;
        }

        ServerLog.SlowReaderDisconnected(_logger, Name, Session?.User ?? "-", _options.OutboundQueueCapacity);
        _metrics.ConnectionDropped(ConnectionDrop.SlowReader);
        Abort();
        return PostOutcome.Full;
    }

    // A login or logout storm is N presence changes for each of N clients. While the queue is short they are queued like
    // anything else; once a quarter of it is waiting (or coalesced presence is already waiting), they take no slot: each
    // goes into a map, the latest per user, which the write loop writes once the presence queued before it has gone out.
    // So presence alone never fills the queue of a client that keeps reading, a client that never reads holds at most one
    // notice per user, and no client sees a user's older state after a newer one. Flips of one user in between collapse to
    // the last; they are not cancelled out, since what this client last saw of that user is not known here.
    private PostOutcome PostPresence(PresenceNotice presence)
    {
        lock (_presenceGate)
        {
            if (_closing)
            {
                return PostOutcome.Closed;
            }

            if (_pendingPresence is null && Volatile.Read(ref _queued) < _coalescePresenceAt && _outbound.Writer.TryWrite(presence))
            {
                Interlocked.Increment(ref _queued);
                Interlocked.Increment(ref _presenceQueued);
                return PostOutcome.Queued;
            }

            var wake = _pendingPresence is null;
            (_pendingPresence ??= new(StringComparer.Ordinal))[presence.User] = presence;

            // The write loop may be waiting on an empty queue: one marker wakes it. If there is no room for the marker the
            // queue is not empty, so the loop wakes anyway.
            if (wake && _outbound.Writer.TryWrite(s_presenceWaiting))
            {
                Interlocked.Increment(ref _queued);
            }

            return PostOutcome.Queued;
        }
    }

    /// <summary>Queues this connection's own reply.</summary>
    public void Send(SessionNotice notice)
    {
        if (notice is ReplyNotice reply)
        {
            Interlocked.Add(ref _replyBytes, Weight(reply));
        }

        TryPost(notice);
    }

    // About what a reply takes on the wire; counted when queued and again when written, so it must not change.
    private static long Weight(ReplyNotice reply)
    {
        long weight = 16 + reply.Head.Length + (reply.Text?.Length ?? 0);
        for (var i = 0; i < reply.Fields.Count; i++)
        {
            weight += reply.Fields[i].Length + 1;
        }

        return weight;
    }

    private bool MustPauseReading
        => Volatile.Read(ref _queued) >= _pauseReadingAt
            || Volatile.Read(ref _replyBytes) >= PauseReadingAtReplyBytes
            || Volatile.Read(ref _pipelined) >= MaxPipelinedMessages;

    /// <inheritdoc />
    public void Close(SessionEnd end)
    {
        ArgumentNullException.ThrowIfNull(end);
        _metrics.SessionEnded(end.Reason);
        CloseWith(end.Reason switch
        {
            LogoutReason.Displaced => new DisplacedNotice(end.NewAddress ?? "unknown"),
            // In a cluster a session also expires when its node lost touch with the others for longer than its lease.
            LogoutReason.Expired => new ByeNotice("expired", $"your session expired (no heartbeat for {_heartbeatTimeout.TotalSeconds:0} s, or this server lost touch with the others); log in again"),
            _ => new ByeNotice("shutdown", "the server is shutting down"),
        });
    }

    /// <summary>Writes <paramref name="final"/> after everything queued, then closes the connection.</summary>
    public void CloseWith(SessionNotice final)
    {
        if (_closing)
        {
            return;
        }

        Volatile.Write(ref _final, final);
        if (!_outbound.Writer.TryWrite(final))
        {
            Abort();
            return;
        }

        Interlocked.Increment(ref _queued);

        _closing = true;
        _outbound.Writer.TryComplete();
    }

    /// <summary>Drops the connection without flushing; its loops wind down on another thread.</summary>
    /// <remarks>
    /// The engine may get here holding a session's lock (a full queue found while posting): cancelling inline could run
    /// the connection's teardown, and so the session's logout, inside the engine.
    /// </remarks>
    public void Abort()
    {
        _closing = true;
        _outbound.Writer.TryComplete();
        _ = _aborted.CancelAsync();
    }

    public async Task RunAsync(CommandDispatcher dispatcher)
    {
        if (!await _transport.OpenAsync(_aborted.Token).ConfigureAwait(false))
        {
            return;
        }

        // The deadline starts before the greeting, so a client that has read hello knows its clock is running.
        Volatile.Write(ref _loginDeadline, _time.GetTimestamp() + (long)(_options.LoginTimeout.TotalSeconds * _time.TimestampFrequency));
        Send(new HelloNotice(_options.ServerName, WireFormat.ProtocolVersion, _heartbeatInterval));
        var writing = WriteLoopAsync();
        try
        {
            await ReadLoopAsync(dispatcher, _aborted.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException || ex is System.Net.Sockets.SocketException)
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
        await _transport.DisposeAsync().ConfigureAwait(false);
        _aborted.Dispose();
        Limits.Dispose();
        _drained.Dispose();
    }

    /// <summary>
    /// Closes the connection if it has not logged in by its deadline. Called by the server's sweep for every connection,
    /// so no connection owns a timer; the deadline is kept to within one <see cref="ChatServerOptions.SweepInterval"/>.
    /// </summary>
    public void CheckLoginDeadline(long now)
    {
        var deadline = Volatile.Read(ref _loginDeadline);
        if (deadline != 0 && now >= deadline && Session is null && !_closing)
        {
            ServerLog.LoginTimedOut(_logger, Name, _options.LoginTimeout.TotalSeconds);
            _metrics.ConnectionDropped(ConnectionDrop.LoginTimeout);
            CloseWith(new ByeNotice("login-timeout", $"no login within {_options.LoginTimeout.TotalSeconds:0.#} s; closing"));
        }
    }

    private async Task ReadLoopAsync(CommandDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var reader = new LineReader(_transport.Pipe.Input, _options.MaxLineBytes);
        while (!_closing && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (!_closing && reader.TryRead(out var line))
            {
                switch (line.Status)
                {
                    case LineStatus.Complete:
                        if (MustPauseReading)
                        {
                            await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
                        }

                        await HandleAsync(dispatcher.Dispatch(this, line.Bytes, cancellationToken), cancellationToken).ConfigureAwait(false);
                        break;
                    case LineStatus.TooLong:
                        dispatcher.ProtocolError(this, new ProtocolError(null, ErrorCodes.LineTooLong, $"line longer than {_options.MaxLineBytes} bytes; it was ignored"));
                        break;
                    default:
                        dispatcher.ProtocolError(this, new ProtocolError(null, ErrorCodes.InvalidUtf8, "line is not valid UTF-8; it was ignored"));
                        break;
                }
            }
        }
    }

    // A pipelined command still waiting (for its commit) takes its place in the queue as a PendingReply, which the write
    // loop waits for when it gets there: replies keep command order while the next lines are read and stored together.
    private ValueTask HandleAsync(DispatchedLine dispatched, CancellationToken cancellationToken)
    {
        var outcome = dispatched.Outcome;
        if (!outcome.IsCompleted)
        {
            switch (dispatched.Order)
            {
                case LineOrder.Pipelined:
                    Interlocked.Increment(ref _pipelined);
                    Send(new PendingReply(outcome.AsTask()));
                    return ValueTask.CompletedTask;
                case LineOrder.Detached:
                    _ = ReplyWhenDoneAsync(outcome);
                    return ValueTask.CompletedTask;
            }
        }

        return outcome.IsCompletedSuccessfully
            ? CommandDispatcher.DeliverAsync(this, outcome.Result, cancellationToken)
            : DeliverWhenDoneAsync(outcome, cancellationToken);
    }

    private async ValueTask DeliverWhenDoneAsync(ValueTask<CommandOutcome> outcome, CancellationToken cancellationToken)
        => await CommandDispatcher.DeliverAsync(this, await outcome.ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    private async Task ReplyWhenDoneAsync(ValueTask<CommandOutcome> outcome)
    {
        try
        {
            if ((await outcome.ConfigureAwait(false)).Reply is { } reply)
            {
                Send(reply);
            }
        }
        catch (OperationCanceledException)
        {
            // The connection is going away.
        }
    }

    /// <summary>Waits until the write loop has taken the queue below the pause mark (or the connection closes).</summary>
    private async ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        while (!_closing && MustPauseReading)
        {
            _readingPaused = true;

            // Checked again after raising the flag: the write loop may have drained in between and not seen it.
            if (!MustPauseReading)
            {
                break;
            }

            await _drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _readingPaused = false;
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outbound.Reader;
        var writer = new LineWriter(_transport.Pipe.Output);
        var finalWritten = false;
        try
        {
            while (await reader.WaitToReadAsync(_aborted.Token).ConfigureAwait(false))
            {
                // Everything queued goes out in one flush: one send for a burst of lines.
                while (reader.TryRead(out var notice))
                {
                    Interlocked.Decrement(ref _queued);
                    switch (notice)
                    {
                        case PendingReply pending:
                            if (!await WritePendingAsync(writer, pending).ConfigureAwait(false))
                            {
                                _transport.CompleteOutput();
                                return;
                            }

                            continue;
                        case PresenceWaiting:
                            continue;
                        case ReplyNotice reply:
                            Interlocked.Add(ref _replyBytes, -Weight(reply));
                            break;
                        case PresenceNotice:
                            Interlocked.Decrement(ref _presenceQueued);
                            break;
                        default:
                            finalWritten |= ReferenceEquals(notice, Volatile.Read(ref _final));
                            break;
                    }

                    _metrics.Written(notice);
                    writer.Write(notice);
                }

                if (!finalWritten)
                {
                    WritePendingPresence(writer);
                }

                WakeReader();

                if (!await writer.FlushAsync(_aborted.Token).ConfigureAwait(false))
                {
                    break;
                }
            }

            _transport.CompleteOutput();
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException || ex is System.Net.Sockets.SocketException)
        {
            // The connection broke while writing; the read loop notices and ends the session.
        }
        finally
        {
            // Nothing more will be written: stop reading too.
            _closing = true;
            _aborted.Cancel();
            WakeReader();
        }
    }

    // What was written so far goes out while the reply's command finishes; the reply then takes its turn. The wait
    // resumes on the thread pool, not on the store's completion loop that finished the command.
    private async ValueTask<bool> WritePendingAsync(LineWriter writer, PendingReply pending)
    {
        var outcome = pending.Outcome;
        if (!outcome.IsCompleted)
        {
            WakeReader();
            if (!await writer.FlushAsync(_aborted.Token).ConfigureAwait(false))
            {
                return false;
            }

            await ((Task)outcome).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ForceYielding);
        }

        Interlocked.Decrement(ref _pipelined);
        if (outcome.IsCompletedSuccessfully && outcome.Result.Reply is { } reply)
        {
            writer.Write(reply);
        }

        return true;
    }

    // Write loop only. Coalesced presence goes out once every presence notice queued before it has (they are older).
    private void WritePendingPresence(LineWriter writer)
    {
        Dictionary<string, PresenceNotice>? pending;
        lock (_presenceGate)
        {
            pending = _pendingPresence;
            if (pending is null || Volatile.Read(ref _presenceQueued) > 0)
            {
                return;
            }

            // Dropped after one use: a map sized by a storm should not stay with an idle connection.
            _pendingPresence = null;
        }

        foreach (var presence in pending.Values)
        {
            writer.Write(presence);
        }
    }

    private void WakeReader()
    {
        // Only the write loop releases, so checking the count first cannot overfill the semaphore.
        if (_readingPaused && _drained.CurrentCount == 0)
        {
            _drained.Release();
        }
    }

    private sealed record PresenceWaiting : SessionNotice;
}

/// <summary>The place in a connection's queue of the reply to a pipelined command, written once the command is done.</summary>
/// <param name="Outcome">The command's outcome: only its reply is carried out (pipelined commands do nothing else).</param>
internal sealed record PendingReply(Task<CommandOutcome> Outcome) : SessionNotice;
