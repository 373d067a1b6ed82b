// Measures direct messages per second through a real server on loopback, with the in-memory store and with the
// durable SQLite store, in the same run. Each sender keeps a window of sends in flight; a message counts once the
// server has acknowledged it to its sender (for SQLite: once it is committed). With --tls, the in-memory run is repeated
// over TLS (a self-signed certificate made at start, pinned by the clients) to show what encryption costs.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using ChatRoom;
using ChatRoom.Client;
using ChatRoom.Server;
using ChatRoom.Storage;
using ChatRoom.Tls;
using Microsoft.Extensions.DependencyInjection;

var seconds = args.Length > 0 && args[0] != "--tls" ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var runs = args.Contains("--tls") ? new (bool Durable, bool Tls)[] { (false, false), (false, true), (true, false), (true, true) } : [(false, false), (true, false)];
using var certificate = TlsCertificates.CreateSelfSigned("localhost", TimeSpan.FromHours(1), TimeProvider.System);
const int Pairs = 4;
const int Window = 64;
Console.WriteLine($"{Pairs} sender/receiver pairs, {Window} sends in flight each, {seconds} s per store, {Environment.ProcessorCount} cores");
foreach (var (durable, tls) in runs)
{
    var folder = Directory.CreateTempSubdirectory("chatroom-bench-");
    SqliteChatStore? store = durable ? await SqliteChatStore.OpenAsync(Path.Combine(folder.FullName, "bench.db")) : null;
    var services = new ServiceCollection();
    var users = Enumerable.Range(0, Pairs * 2).ToDictionary(i => $"u{i}", i => "pw");
    services.AddChatRoomCredentials(users);
    if (store is not null)
    {
        services.AddChatRoomSqliteStore(store);
    }

    services.AddChatRoomServer(o =>
    {
        o.Address = IPAddress.Loopback;
        o.Port = 0;
        o.OutboundQueueCapacity = 65_536;
        o.TlsCertificate = tls ? certificate : null;
    });
    await using var provider = services.BuildServiceProvider();
    var server = provider.GetRequiredService<ChatServer>();
    await server.StartAsync();
    var options = new ChatClientOptions { Host = "127.0.0.1", Port = server.LocalEndPoint!.Port, HeartbeatInterval = TimeSpan.FromHours(1), TlsPin = tls ? TlsCertificates.GetPin(certificate) : null };
    var clients = new List<ChatClient>();
    foreach (var user in users.Keys)
    {
        var client = await ChatClient.ConnectAsync(options);
        await client.LoginAsync(user, "pw");
        clients.Add(client);
        _ = Task.Run(async () => { await foreach (var _ in client.Notices) { } });
    }

    long acknowledged = 0;
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
    var clock = Stopwatch.StartNew();
    var senders = Enumerable.Range(0, Pairs).SelectMany(p => Enumerable.Range(0, Window).Select(async _ =>
    {
        var from = clients[p * 2];
        var to = $"u{p * 2 + 1}";
        while (!stop.IsCancellationRequested)
        {
            await from.SendAsync(to, "benchmark message of a typical length, about sixty bytes");
            Interlocked.Increment(ref acknowledged);
        }
    })).ToList();
    await Task.WhenAll(senders);
    var elapsed = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"{(durable ? "sqlite (durable)" : "in-memory") + (tls ? " + tls" : string.Empty),-24} {acknowledged / elapsed,12:N0} messages/s acknowledged ({acknowledged:N0} in {elapsed:0.0} s)");
    foreach (var client in clients)
    {
        await client.DisposeAsync();
    }

    await server.StopAsync();
    if (store is not null)
    {
        await store.DisposeAsync();
    }

    folder.Delete(recursive: true);
}
