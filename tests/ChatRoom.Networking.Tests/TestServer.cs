using System.Collections.Concurrent;
using System.Net;
using ChatRoom.Auth;
using ChatRoom.Client;
using ChatRoom.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ChatRoom.Networking.Tests;

/// <summary>A real server on 127.0.0.1 and an ephemeral port, with a fake clock for presence and lockout, and captured logs.</summary>
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

    private readonly List<IAsyncDisposable> _owned = [];

    private TestServer(ServiceProvider services, FakeTimeProvider time, LogCollector logs)
    {
        Services = services;
        Time = time;
        Logs = logs;
        Server = services.GetRequiredService<ChatServer>();
    }

    public FakeTimeProvider Time { get; }

    public ServiceProvider Services { get; }

    public ChatServer Server { get; }

    public LogCollector Logs { get; }

    public int Port => Server.LocalEndPoint!.Port;

    public static async Task<TestServer> StartAsync(Action<ChatRoomOptions>? core = null, Action<ChatServerOptions>? server = null, Action<IServiceCollection>? services = null)
    {
        var logs = new LogCollector();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var collection = new ServiceCollection();
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
        var test = new TestServer(provider, time, logs);
        await test.Server.StartAsync();
        return test;
    }

    public ChatClientOptions ClientOptions => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        RequestTimeout = Wait,
        ConnectTimeout = Wait,
        // Tests send heartbeats themselves when they need them.
        HeartbeatInterval = TimeSpan.FromHours(1),
    };

    public async Task<ChatClient> ConnectAsync(ChatClientOptions? options = null)
    {
        var client = await ChatClient.ConnectAsync(options ?? ClientOptions);
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

    public async Task<RawClient> ConnectRawAsync()
    {
        var raw = await RawClient.ConnectAsync(Port);
        _owned.Add(raw);
        return raw;
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
    public async Task WaitForAsync(string text)
    {
        using var cts = new CancellationTokenSource(TestServer.Wait);
        while (!_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
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
