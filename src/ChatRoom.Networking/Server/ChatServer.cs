using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using ChatRoom.Server.Diagnostics;
using ChatRoom.Sessions;
using ChatRoom.Transport;
using ChatRoom.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatRoom.Server;

/// <summary>
/// The ChatRoom message-center server: accepts TCP connections, speaks the line protocol, and drives the presence sweep.
/// Resolve it from DI (<see cref="ChatServerServiceCollectionExtensions.AddChatRoomServer"/>), which also runs it as a hosted service.
/// </summary>
public sealed class ChatServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ServerConnection, Task> _connections = new();
    private readonly ChatServerOptions _options;
    private readonly CommandDispatcher _dispatcher;
    private readonly ISessionManager _sessions;
    private readonly IConnectionListenerFactory _transport;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConnectionLimits _limits;
    private readonly ChatServerMetrics _metrics;
    private readonly CancellationTokenSource _stopping = new();
    private IConnectionListener? _listener;
    private Task _accepting = Task.CompletedTask;
    private Task _sweeping = Task.CompletedTask;
    private int _state; // 0 new, 1 started, 2 stopped

    private readonly TimeSpan _heartbeatInterval;
    private readonly TimeSpan _heartbeatTimeout;

    internal ChatServer(
        IOptions<ChatServerOptions> options,
        IOptions<ChatRoomOptions> core,
        CommandDispatcher dispatcher,
        ISessionManager sessions,
        IConnectionListenerFactory transport,
        TimeProvider time,
        ILogger<ChatServer> logger,
        ChatServerMetrics metrics)
    {
        _options = options.Value;
        _heartbeatInterval = _options.EffectiveHeartbeatInterval(core.Value);
        _heartbeatTimeout = core.Value.HeartbeatTimeout;
        _dispatcher = dispatcher;
        _sessions = sessions;
        _transport = transport;
        _time = time;
        _logger = logger;
        var (maxConnections, openFiles) = FileHandleLimit.Cap(_options.MaxConnections);
        if (maxConnections < _options.MaxConnections)
        {
            ServerLog.ConnectionCapLowered(logger, _options.MaxConnections, maxConnections, openFiles ?? 0, FileHandleLimit.Reserve);
        }

        _limits = new ConnectionLimits(_options, maxConnections);
        _metrics = metrics;
        metrics.ObserveOutbound(QueuedTotal, QueuedDeepest);
    }

    /// <summary>The address and port the server listens on, once started (the real port when the options said 0).</summary>
    public IPEndPoint? LocalEndPoint => _listener?.EndPoint;

    /// <summary>
    /// Where clients can reach the server: the bound address, or, when bound to every address, each up interface's address.
    /// Empty before start.
    /// </summary>
    public IReadOnlyList<IPEndPoint> GetReachableEndPoints()
    {
        if (LocalEndPoint is not { } bound)
        {
            return [];
        }

        if (!bound.Address.Equals(IPAddress.Any) && !bound.Address.Equals(IPAddress.IPv6Any))
        {
            return [bound];
        }

        return [.. NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork || (bound.Address.Equals(IPAddress.IPv6Any) && !a.IsIPv6LinkLocal))
            .Distinct()
            .Select(a => new IPEndPoint(a, bound.Port))];
    }

    /// <summary>How many clients are connected.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Binds, listens and starts accepting clients.</summary>
    /// <exception cref="InvalidOperationException">The server was started before.</exception>
    /// <exception cref="SocketException">The address or port cannot be bound.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The server can be started once.");
        }

        var listener = await _transport.BindAsync(new IPEndPoint(_options.Address, _options.Port), cancellationToken).ConfigureAwait(false);
        _listener = listener;
        ServerLog.Listening(_logger, listener.EndPoint);
        _accepting = AcceptLoopAsync(listener, _stopping.Token);
        _sweeping = SweepLoopAsync(_stopping.Token);
    }

    /// <summary>Stops accepting, tells every connected client that the server is shutting down, and closes them.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(_accepting, _sweeping).ConfigureAwait(false);

        ServerLog.ShuttingDown(_logger, _connections.Count);
        foreach (var connection in _connections.Keys)
        {
            connection.CloseWith(new ByeNotice("shutdown", "the server is shutting down"));
        }

        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(_options.ShutdownTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            foreach (var connection in _connections.Keys)
            {
                connection.Abort();
            }

            await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(IConnectionListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await listener.AcceptAsync(cancellationToken).ConfigureAwait(false) is not { } transport)
            {
                return;
            }

            // Counted before any other work, so a flood of connections costs one line each and no session.
            var key = ConnectionLimits.Key(transport.RemoteAddress);
            if (_limits.TryEnter(key) is { } scope)
            {
                _ = RefuseAsync(transport, scope);
                continue;
            }

            _metrics.ConnectionOpened();
            var connection = new ServerConnection(transport, _options, _heartbeatInterval, _heartbeatTimeout, _time, _logger, _metrics);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[connection] = done.Task;
            _ = RunConnectionAsync(connection, key, done);
        }
    }

    private async Task RefuseAsync(TransportConnection transport, string scope)
    {
        var limit = scope == "server" ? _limits.MaxConnections : _options.MaxConnectionsPerAddress;
        ServerLog.ConnectionRefused(_logger, transport.Name, scope, limit);
        _metrics.ConnectionRefused(scope == "server" ? ConnectionRefusal.ServerFull : ConnectionRefusal.AddressLimit);
        try
        {
            var writer = new LineWriter(transport.Pipe.Output);
            writer.Write(ReplyNotice.Failure(null, ErrorCodes.TooManyConnections, [scope, limit.ToString(CultureInfo.InvariantCulture)],
                scope == "server" ? $"the server is full ({limit} connections); try again later" : $"too many connections from your address (limit {limit}); try again later"));

            // One short line fits any socket buffer; the timeout only guards against a transport that never takes it.
            await writer.FlushAsync(_stopping.Token).AsTask().WaitAsync(_options.ShutdownTimeout, _time).ConfigureAwait(false);
            transport.CompleteOutput();
        }
#pragma warning disable CA1031 // A refused client that breaks off is no concern of anyone's.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task RunConnectionAsync(ServerConnection connection, string key, TaskCompletionSource done)
    {
        ServerLog.Accepted(_logger, connection.Name);
        try
        {
            await Task.Yield();
            await connection.RunAsync(_dispatcher).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One connection's bug is logged and ends only that connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ServerLog.ConnectionFailed(_logger, ex, connection.Name);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            _connections.TryRemove(connection, out _);
            _limits.Leave(key);
            _metrics.ConnectionClosed();
            ServerLog.Closed(_logger, connection.Name);
            done.TrySetResult();
        }
    }

    // Sampled only when a metrics listener asks (about once a second): nothing is counted per notice for these.
    private long QueuedTotal()
    {
        long total = 0;
        foreach (var (connection, _) in _connections)
        {
            total += connection.Queued;
        }

        return total;
    }

    private long QueuedDeepest()
    {
        var deepest = 0;
        foreach (var (connection, _) in _connections)
        {
            deepest = Math.Max(deepest, connection.Queued);
        }

        return deepest;
    }

    private async Task SweepLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.SweepInterval, _time);
        var sweepFailures = new StoreFailureLog(_time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                // One pass over the connections instead of a timer each: ten thousand idle clients, no timers.
                var now = _time.GetTimestamp();
                foreach (var connection in _connections.Keys)
                {
                    connection.CheckLoginDeadline(now);
                }

                try
                {
                    await _sessions.ExpireAsync(cancellationToken).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // The sweep must keep running; a failed round is logged and retried on the next tick.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    // A store that is away fails every round (one a second) until it returns: logged like commands are.
                    if (ex is not Storage.ChatStoreException)
                    {
                        ServerLog.SweepFailed(_logger, ex);
                    }
                    else if (sweepFailures.ShouldLog(out var unlogged))
                    {
                        ServerLog.SweepStoreFailed(_logger, ex, unlogged);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
