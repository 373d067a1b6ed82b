using System.Net;
using System.Net.Sockets;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

/// <summary>
/// A node's network link to Redis, as a TCP relay on a 127.0.0.1 port of its own: every connection accepted is relayed to
/// the Redis port. <see cref="Cut"/> drops every relayed connection at once (a reset, as a broken link shows to both
/// ends) and refuses new ones until <see cref="Restore"/>; <see cref="Freeze"/> instead stops carrying bytes, either way,
/// on every connection, old or new, without closing any, as a network that silently drops packets does, until
/// <see cref="Thaw"/> carries what waited. Redis and the other nodes' links are untouched.
/// </summary>
internal sealed class RedisLink : IAsyncDisposable
{
    // A multiplexer holds two connections (commands and subscriptions); a node that reconnects over and over replaces
    // them. More than this at once is a leak, not a node.
    private const int MaxConnections = 32;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _redisPort;
    private readonly CancellationTokenSource _disposing = new();
    private readonly HashSet<Relay> _relays = [];
    private readonly Task _accepting;
    private bool _cut;
    private TaskCompletionSource _flowing = Flowing();

    public RedisLink(int redisPort)
    {
        _redisPort = redisPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptLoopAsync(_disposing.Token);
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string that reaches Redis through this link.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>How many connections have been relayed since the link was made (a node that reconnected made new ones).</summary>
    public int Accepted { get; private set; }

    /// <summary>Drops every relayed connection now and refuses new ones (each is closed as soon as it is accepted).</summary>
    public void Cut()
    {
        List<Relay> dropped;
        lock (_relays)
        {
            _cut = true;
            dropped = [.. _relays];
        }

        foreach (var relay in dropped)
        {
            relay.Drop();
        }
    }

    /// <summary>Relays new connections again; the node's client reconnects by itself.</summary>
    public void Restore()
    {
        lock (_relays)
        {
            _cut = false;
        }
    }

    /// <summary>Stops carrying bytes on every connection, old and new, and closes none: both ends hear nothing.</summary>
    public void Freeze()
    {
        lock (_relays)
        {
            if (_flowing.Task.IsCompleted)
            {
                _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Carries bytes again, first those that waited.</summary>
    public void Thaw()
    {
        lock (_relays)
        {
            _flowing.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Thaw();
        await _disposing.CancelAsync();
        _listener.Stop();
        await _accepting;
        List<Relay> left;
        lock (_relays)
        {
            left = [.. _relays];
        }

        foreach (var relay in left)
        {
            relay.Drop();
        }

        await Task.WhenAll(left.Select(static r => r.Done));
        _disposing.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _listener.AcceptSocketAsync(stopping);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            bool refuse;
            lock (_relays)
            {
                refuse = _cut || _relays.Count >= MaxConnections;
            }

            if (refuse)
            {
                Reset(accepted);
                continue;
            }

            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                connectTimeout.CancelAfter(TimeSpan.FromSeconds(5));
                await upstream.ConnectAsync(IPAddress.Loopback, _redisPort, connectTimeout.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                Reset(accepted);
                upstream.Dispose();
                continue;
            }

            var relay = new Relay(accepted, upstream, WhenFlowing);
            lock (_relays)
            {
                // Cut while this one connected upstream: it must not slip through.
                if (_cut)
                {
                    relay.Drop();
                    continue;
                }

                _relays.Add(relay);
                Accepted++;
            }

            relay.Start(() =>
            {
                lock (_relays)
                {
                    _relays.Remove(relay);
                }
            });
        }
    }

    private static TaskCompletionSource Flowing()
    {
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        flowing.SetResult();
        return flowing;
    }

    private Task WhenFlowing()
    {
        lock (_relays)
        {
            return _flowing.Task;
        }
    }

    // Closed with a reset rather than a graceful close: the other end learns at once, as from a broken link.
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    /// <summary>One relayed connection: bytes copied both ways until either end closes or the link drops it.</summary>
    private sealed class Relay(Socket client, Socket upstream, Func<Task> whenFlowing)
    {
        private int _dropped;

        public Task Done { get; private set; } = Task.CompletedTask;

        public void Start(Action removed)
        {
            Done = Task.Run(async () =>
            {
                await Task.WhenAny(CopyAsync(client, upstream), CopyAsync(upstream, client));
                Drop();
                removed();
            });
        }

        public void Drop()
        {
            if (Interlocked.Exchange(ref _dropped, 1) == 0)
            {
                Reset(client);
                Reset(upstream);
            }
        }

        private async Task CopyAsync(Socket from, Socket to)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    // Frozen: bytes wait in the sockets' buffers, as in a network's, and flow on when it thaws.
                    await whenFlowing();
                    var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                    if (read == 0)
                    {
                        return;
                    }

                    await whenFlowing();
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
