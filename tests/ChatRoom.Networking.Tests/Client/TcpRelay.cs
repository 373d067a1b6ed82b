using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ChatRoom.Networking.Tests.Client;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a server: clients connect to <see cref="Port"/>, bytes flow both ways. A test can
/// hold the bytes (<see cref="Hold"/>) or kill the relay (<see cref="Kill"/>: every connection reset, the port closed),
/// which to a client looks exactly like its server node dying, without the server sending a word.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile TaskCompletionSource _flowing = Completed();
    private int _killed;

    private TcpRelay(int target)
    {
        _target = target;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>The port clients connect to (refused once killed).</summary>
    public int Port { get; }

    public DnsEndPoint EndPoint => new("127.0.0.1", Port);

    public static TcpRelay Start(int targetPort) => new(targetPort);

    /// <summary>Stops passing bytes on (both ways) until <see cref="Release"/>; connections are still accepted.</summary>
    public void Hold() => _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _flowing.TrySetResult();

    /// <summary>Resets every connection and closes the port, as a node that dies does.</summary>
    public void Kill()
    {
        if (Interlocked.Exchange(ref _killed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _listener.Stop();
        foreach (var socket in _sockets)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0); // close with a reset, not a goodbye
            }
            catch (SocketException)
            {
                // Already closed.
            }

            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        Release();
        await _accepting;
        _stop.Dispose();
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                _sockets.Add(client);
                var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
                _sockets.Add(server);
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Killed.
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await _flowing.Task.WaitAsync(_stop.Token);
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Killed, or one side went away.
        }
    }
}
