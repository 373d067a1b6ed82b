using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ChatRoom.Storage.Redis;
using StackExchange.Redis;

namespace ChatRoom.Storage.Redis.Tests;

/// <summary>
/// A redis-server of the test's own, on a free 127.0.0.1 port in a temporary folder, with the append-only file fsynced
/// on every write (as ChatRoom's scripts run it). It can be stopped (SIGKILL) and started again on the same port and
/// folder, and is killed and its folder deleted when disposed. Use it as a class or collection fixture, or start one in
/// a test; give each test its own key prefix (<see cref="NewKeyPrefix"/>) so tests sharing a server do not meet.
/// </summary>
/// <remarks>
/// The binary is <c>CHATROOM_REDIS_SERVER</c> when set, else <c>redis-server</c> on the PATH. When there is none the fixture
/// fails (tests that need Redis are never silently skipped): run <c>tools/redis/install.sh</c>.
/// </remarks>
public sealed class RedisServer : IAsyncLifetime, IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("chatroom-redis-");
    private readonly bool _appendOnly;
    private Process? _process;

    /// <summary>A server to start with <see cref="InitializeAsync"/> (as a fixture) or <see cref="StartAsync(bool)"/>.</summary>
    public RedisServer()
        : this(appendOnly: true)
    {
    }

    private RedisServer(bool appendOnly)
    {
        _appendOnly = appendOnly;
        Port = FreePort();
    }

    /// <summary>The port it listens on, the same across restarts.</summary>
    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string that reaches it.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>The folder holding its append-only file and log.</summary>
    public string Folder => _folder.FullName;

    /// <summary>Whether the process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Processor time the running server has used (user and system), zero when it is not running.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            var process = _process;
            if (process is null)
            {
                return TimeSpan.Zero;
            }

            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <summary>Starts a server of its own; <paramref name="appendOnly"/> false runs it with no persistence at all.</summary>
    public static async Task<RedisServer> StartAsync(bool appendOnly = true)
    {
        var server = new RedisServer(appendOnly);
        try
        {
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A key prefix no other test uses.</summary>
    public static string NewKeyPrefix() => $"test-{Guid.NewGuid():N}:";

    /// <summary>
    /// A new connection (a new "node") made the way <see cref="RedisServiceCollectionExtensions.AddChatRoomRedis"/> makes it,
    /// with a short operation timeout so failures show quickly.
    /// </summary>
    public Task<ConnectionMultiplexer> ConnectAsync(TimeSpan? operationTimeout = null)
        => ConnectionMultiplexer.ConnectAsync(RedisConnection.Configure(new RedisChatRoomOptions
        {
            Configuration = Configuration,
            OperationTimeout = operationTimeout ?? TimeSpan.FromSeconds(10),
        }));

    /// <summary>Starts the process (again, after <see cref="Stop"/>: same port, same folder, so it reloads its append-only file) and waits until it answers.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The Redis server is running already.");
        }

        var start = new ProcessStartInfo(FindBinary(Environment.GetEnvironmentVariable("CHATROOM_REDIS_SERVER"), Environment.GetEnvironmentVariable("PATH")))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Folder,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", Folder,
            "--appendonly", _appendOnly ? "yes" : "no", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--logfile", "",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            log.Enqueue(e.Data);
            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                log.Enqueue(e.Data);
            }
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("redis-server exited while starting:\n" + string.Join('\n', log)));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await ready.Task.WaitAsync(s_startTimeout);
            await PingAsync();
        }
        catch (TimeoutException)
        {
            Stop();
            throw new InvalidOperationException($"redis-server did not become ready within {s_startTimeout}:\n" + string.Join('\n', log));
        }
    }

    /// <summary>Kills the process (SIGKILL: what was acknowledged must already be on disk) and waits until it is gone.</summary>
    public void Stop()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    /// <inheritdoc />
    public Task InitializeAsync() => StartAsync();

    /// <inheritdoc />
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    /// <summary>Kills the server and deletes its folder.</summary>
    public ValueTask DisposeAsync()
    {
        Stop();
        _folder.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>The redis-server to run: <paramref name="configured"/> when set, else the first on <paramref name="path"/>; throws saying how to install one.</summary>
    internal static string FindBinary(string? configured, string? path)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"CHATROOM_REDIS_SERVER is {configured}, which does not exist. Run tools/redis/install.sh, or point it at a redis-server.");
        }

        foreach (var folder in (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("redis-server is not on the PATH: run tools/redis/install.sh (it installs Debian's redis-server), or set CHATROOM_REDIS_SERVER to one.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // "Ready to accept connections" is logged once the data is loaded; one PING over a plain socket confirms it.
    private async Task PingAsync()
    {
        using var timeout = new CancellationTokenSource(s_startTimeout);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
        var reply = new byte[7];
        await stream.ReadExactlyAsync(reply, timeout.Token);
        if (!reply.AsSpan().SequenceEqual("+PONG\r\n"u8))
        {
            throw new InvalidOperationException($"redis-server on port {Port} answered PING with {System.Text.Encoding.ASCII.GetString(reply)}");
        }
    }
}
