using System.Net;
using ChatRoom.Client;
using ChatRoom.Server;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

/// <summary>Server nodes in this process, each a host of its own on a loopback port, sharing one Redis under one key prefix.</summary>
internal sealed class ClusterHarness : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    public static readonly IReadOnlyDictionary<string, string> Passwords = new Dictionary<string, string>
    {
        ["columbia"] = "116bway",
        ["seas"] = "summerisover",
        ["csee4119"] = "lotsofexams",
        ["foobar"] = "passpass",
        ["google"] = "hasglasses",
    };

    private readonly List<IHost> _hosts = [];
    private readonly List<ChatClient> _clients = [];

    public ClusterHarness(RedisServer redis) => Redis = redis;

    public RedisServer Redis { get; }

    public string KeyPrefix { get; } = RedisServer.NewKeyPrefix();

    /// <summary>
    /// Starts a node named <paramref name="node"/>; returns its port. With <paramref name="link"/> the node reaches Redis
    /// through that relay (so a test can cut this node off alone), else directly.
    /// </summary>
    public async Task<ClusterNodeHandle> StartNodeAsync(string node, TimeSpan? lease = null, Action<ChatRoomOptions>? core = null, RedisLink? link = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddChatRoomCredentials(Passwords);
        builder.Services.AddChatRoomServer(o =>
        {
            o.Address = IPAddress.Loopback;
            o.Port = 0;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            o.SweepInterval = TimeSpan.FromMilliseconds(200);
        });
        builder.Services.AddChatRoomRedis(link?.Configuration ?? Redis.Configuration, o =>
        {
            o.KeyPrefix = KeyPrefix;
            o.NodeId = node;
            o.NodeLease = lease ?? TimeSpan.FromSeconds(10);
            o.OperationTimeout = TimeSpan.FromSeconds(2);
        });
        if (core is not null)
        {
            builder.Services.Configure(core);
        }

        var host = builder.Build();
        await host.StartAsync();
        _hosts.Add(host);
        return new ClusterNodeHandle(node, host);
    }

    /// <summary>
    /// Connects to <paramref name="node"/> and logs <paramref name="user"/> in; notices are collected from the start.
    /// Clients given one <paramref name="seen"/> drop a message another of them was shown, as one SDK client across reconnects.
    /// </summary>
    public async Task<(ChatClient Client, Notices Notices)> LoginAsync(ClusterNodeHandle node, string user, SeenMessageIds? seen = null)
    {
        var client = await ConnectAsync(node, seen: seen);
        var notices = new Notices(client);
        Assert.IsType<Auth.LoginSuccess>(await client.LoginAsync(user, Passwords[user]));
        return (client, notices);
    }

    public async Task<ChatClient> ConnectAsync(ClusterNodeHandle node, int? peerPort = null, SeenMessageIds? seen = null)
    {
        var client = await ChatClient.ConnectAsync(new ChatClientOptions
        {
            PeerPort = peerPort,
            Host = "127.0.0.1",
            Port = node.Port,
            RequestTimeout = Wait,
            ConnectTimeout = Wait,
            HeartbeatInterval = TimeSpan.FromHours(1),
            SeenMessages = seen,
        });
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        foreach (var host in _hosts)
        {
            try
            {
                await host.StopAsync();
            }
            catch (ObjectDisposedException)
            {
            }

            host.Dispose();
        }
    }
}

/// <summary>One node of a <see cref="ClusterHarness"/>.</summary>
internal sealed class ClusterNodeHandle(string name, IHost host)
{
    public string Name => name;

    public IHost Host => host;

    public int Port => host.Services.GetRequiredService<ChatServer>().LocalEndPoint!.Port;

    public ISessionManager Sessions => host.Services.GetRequiredService<ISessionManager>();
}

/// <summary>Collects a client's notices as they arrive and lets a test wait for one, with a timeout.</summary>
internal sealed class Notices
{
    private readonly List<SessionNotice> _received = [];
    private readonly SemaphoreSlim _arrived = new(0);

    public Notices(IChatClient client) => Pump = PumpAsync(client.Notices);

    public Task Pump { get; }

    public IReadOnlyList<SessionNotice> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public async Task<T> WaitForAsync<T>(Func<T, bool>? match = null)
        where T : SessionNotice
    {
        using var timeout = new CancellationTokenSource(ClusterHarness.Wait);
        while (true)
        {
            if (Received.OfType<T>().FirstOrDefault(n => match?.Invoke(n) ?? true) is { } found)
            {
                return found;
            }

            try
            {
                await _arrived.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No {typeof(T).Name} arrived; got: {string.Join(" | ", Received)}");
            }
        }
    }

    public async Task<List<T>> WaitForCountAsync<T>(int count, Func<T, bool>? match = null)
        where T : SessionNotice
    {
        using var timeout = new CancellationTokenSource(ClusterHarness.Wait);
        while (true)
        {
            var found = Received.OfType<T>().Where(n => match?.Invoke(n) ?? true).ToList();
            if (found.Count >= count)
            {
                return found;
            }

            try
            {
                await _arrived.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{found.Count} of {count} {typeof(T).Name} arrived; got: {string.Join(" | ", Received.TakeLast(20))}");
            }
        }
    }

    private async Task PumpAsync(IAsyncEnumerable<SessionNotice> notices)
    {
        await foreach (var notice in notices)
        {
            lock (_received)
            {
                _received.Add(notice);
            }

            _arrived.Release();
        }
    }
}
