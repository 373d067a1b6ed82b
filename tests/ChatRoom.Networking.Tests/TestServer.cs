using System.Collections.Concurrent;
using System.Net;
using ChatRoom.Auth;
using ChatRoom.Client;
using ChatRoom.Server;
using ChatRoom.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ChatRoom.Networking.Tests;

/// <summary>How a <see cref="TestServer"/> is reached.</summary>
internal enum TestTransport
{
    /// <summary>In-process pipes: the same server code, no sockets or ports; fast and deterministic.</summary>
    Memory,

    /// <summary>TCP on 127.0.0.1 and an ephemeral port, for tests about sockets or other processes.</summary>
    Sockets,
}

/// <summary>
/// A real server, over in-memory pipes by default or on 127.0.0.1 and an ephemeral port, with a fake clock for presence
/// and lockout, and captured logs.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    public static readonly IReadOnlyDictionary<string, string> Passwords = new Dictionary<string, string>
    {
        ["columbia"] = "116bway",
        ["seas"] = "summerisover",
        ["csee4119"] = "lotsofexams",
        ["foobar"] = "passpass",
        ["google"] = "hasglasses",
    };

    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    // Tests open connections from many tasks at once (a thousand in the adversarial suite); a plain list lost some, whose
    // sockets the GC then closed, freeing a connection slot the test counted on.
    private readonly System.Collections.Concurrent.ConcurrentBag<IAsyncDisposable> _owned = [];

    private readonly InMemoryTransport? _memory;

    private TestServer(ServiceProvider services, FakeTimeProvider time, LogCollector logs, InMemoryTransport? memory)
    {
        _memory = memory;
        Services = services;
        Time = time;
        Logs = logs;
        Server = services.GetRequiredService<ChatServer>();
    }

    public FakeTimeProvider Time { get; }

    public ServiceProvider Services { get; }

    public ChatServer Server { get; }

    public LogCollector Logs { get; }

    /// <summary>The TCP port; only for <see cref="TestTransport.Sockets"/>.</summary>
    public int Port => _memory is null ? Server.LocalEndPoint!.Port : throw new InvalidOperationException("This test server has no port; start it with TestTransport.Sockets.");

    public static async Task<TestServer> StartAsync(
        Action<ChatRoomOptions>? core = null,
        Action<ChatServerOptions>? server = null,
        Action<IServiceCollection>? services = null,
        TestTransport transport = TestTransport.Memory,
        FakeTimeProvider? time = null)
    {
        var logs = new LogCollector();
        time ??= new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var collection = new ServiceCollection();
        var memory = transport == TestTransport.Memory ? new InMemoryTransport() : null;
        if (memory is not null)
        {
            collection.AddSingleton<IConnectionListenerFactory>(memory);
        }

        services?.Invoke(collection);
        collection.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        collection.AddSingleton<TimeProvider>(time);
        collection.AddChatRoomCredentials(Passwords);
        collection.AddChatRoomServer(o =>
        {
            o.Address = IPAddress.Loopback;
            o.Port = 0;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            server?.Invoke(o);
        });
        if (core is not null)
        {
            collection.Configure(core);
        }

        var provider = collection.BuildServiceProvider();
        var test = new TestServer(provider, time, logs, memory);
        await test.Server.StartAsync();
        return test;
    }

    public ChatClientOptions ClientOptions => new()
    {
        Host = "127.0.0.1",
        Port = _memory is null ? Port : 1,
        RequestTimeout = Wait,
        ConnectTimeout = Wait,
        // Tests send heartbeats themselves when they need them.
        HeartbeatInterval = TimeSpan.FromHours(1),
    };

    /// <summary>Connects a client; over memory it appears to come from <paramref name="remoteAddress"/>.</summary>
    public async Task<ChatClient> ConnectAsync(ChatClientOptions? options = null, string remoteAddress = "127.0.0.1")
    {
        ChatClient client;
        if (_memory is null)
        {
            client = await ChatClient.ConnectAsync(options ?? ClientOptions);
        }
        else
        {
            var pipe = _memory.Connect(remoteAddress);
            client = await ChatClient.StartAsync(pipe, () => CloseAsync(pipe), options ?? ClientOptions);
        }

        _owned.Add(client);
        return client;
    }

    /// <summary>Connects and logs in; notices are collected from the start.</summary>
    public async Task<(ChatClient Client, Inbox Inbox)> LoginAsync(string user, ChatClientOptions? options = null)
    {
        var client = await ConnectAsync(options);
        var inbox = new Inbox(client);
        Assert.Equal(new LoginSuccess(user), await client.LoginAsync(user, Passwords[user]));
        return (client, inbox);
    }

    /// <summary>A bare line client: a TCP socket, or the client's end of an in-memory connection.</summary>
    public async Task<RawClient> ConnectRawAsync(string remoteAddress = "127.0.0.1")
    {
        var raw = _memory is null ? await RawClient.ConnectAsync(Port, remoteAddress) : RawClient.Over(_memory.Connect(remoteAddress));
        _owned.Add(raw);
        return raw;
    }

    /// <summary>A bare line client over memory that the server sees as coming from <paramref name="remoteAddress"/>.</summary>
    /// <param name="remoteAddress">The address the server sees.</param>
    /// <param name="receiveBufferBytes">How many bytes the server may send before the client reads (null: the pipe's default, 64 KiB).</param>
    public RawClient ConnectRawFrom(string remoteAddress, int? receiveBufferBytes = null)
    {
        var options = receiveBufferBytes is { } bytes ? new System.IO.Pipelines.PipeOptions(pauseWriterThreshold: bytes, resumeWriterThreshold: bytes / 2) : null;
        var raw = RawClient.Over((_memory ?? throw new InvalidOperationException("Only over memory.")).Connect(remoteAddress, options));
        _owned.Add(raw);
        return raw;
    }

    private static async ValueTask CloseAsync(System.IO.Pipelines.IDuplexPipe pipe)
    {
        await pipe.Input.CompleteAsync();
        await pipe.Output.CompleteAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await Server.DisposeAsync();
        await Services.DisposeAsync();
    }
}

/// <summary>Captures every log line for assertions.</summary>
internal sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _logged = new(0);

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Waits for a log line containing <paramref name="text"/>, logged at any time.</summary>
    public Task WaitForAsync(string text) => WaitForAsync(text, 1);

    /// <summary>Waits until <paramref name="count"/> log lines contain <paramref name="text"/>.</summary>
    public async Task WaitForAsync(string text, int count)
    {
        using var cts = new CancellationTokenSource(TestServer.Wait);
        while (_lines.Count(l => l.Contains(text, StringComparison.Ordinal)) < count)
        {
            try
            {
                await _logged.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no log line with '{text}'");
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCollector owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
            owner._logged.Release();
        }
    }
}
