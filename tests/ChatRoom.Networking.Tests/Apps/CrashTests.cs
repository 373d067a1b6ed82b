using System.Collections.Concurrent;
using System.Globalization;
using ChatRoom.Auth;
using ChatRoom.Client;
using ChatRoom.Messaging;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Xunit.Abstractions;

namespace ChatRoom.Networking.Tests.Apps;

/// <summary>
/// Clients send to each other while the server process is killed with SIGKILL at random moments and restarted on the same
/// data file. Every message acknowledged to its sender must be shown to its recipient exactly once, and blocks and
/// lockouts must hold. CHATROOM_CRASH_ROUNDS (default 3) and CHATROOM_CRASH_SEED tune it; tools/crash-test.sh runs it longer.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private static readonly string[] Users = ["columbia", "seas", "foobar", "csee4119"];

    private readonly ConcurrentDictionary<MessageId, string> _acknowledged = new();
    private readonly ConcurrentDictionary<MessageId, int> _shown = new();
    private readonly Dictionary<string, SeenMessageIds> _seen = Users.ToDictionary(u => u, _ => new SeenMessageIds());
    private readonly SemaphoreSlim _showing = new(0);
    private long _sent;
    private long _duplicates;

    [Fact]
    public async Task Acknowledged_messages_blocks_and_lockouts_survive_SIGKILL_and_restart()
    {
        var rounds = int.Parse(Environment.GetEnvironmentVariable("CHATROOM_CRASH_ROUNDS") ?? "3", CultureInfo.InvariantCulture);
        var seed = int.Parse(Environment.GetEnvironmentVariable("CHATROOM_CRASH_SEED") ?? Random.Shared.Next().ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        output.WriteLine($"seed {seed}, {rounds} kills");
        var random = new Random(seed);
        var folder = Directory.CreateTempSubdirectory("chatroom-crash-");
        var data = Path.Combine(folder.FullName, "chatroom.db");
        var port = 0;
        try
        {
            for (var round = 0; round <= rounds; round++)
            {
                var (server, boundPort) = await AppProcess.StartServerOnAsync(port, "--data", data);
                await using var _ = server;
                port = boundPort;
                var options = new ChatClientOptions { Host = "127.0.0.1", Port = port, RequestTimeout = TestServer.Wait, HeartbeatInterval = TimeSpan.FromHours(1) };
                var clients = new Dictionary<string, ChatClient>();
                var pumps = new List<Task>();
                foreach (var user in Users)
                {
                    var client = await ChatClient.ConnectAsync(options with { SeenMessages = _seen[user] });
                    pumps.Add(PumpAsync(client));
                    Assert.IsType<LoginSuccess>(await client.LoginAsync(user, TestServer.Passwords.GetValueOrDefault(user) ?? "lotsofexams"));
                    clients[user] = client;
                }

                if (round == 0)
                {
                    await clients["columbia"].BlockAsync("seas");
                    await using var intruder = await ChatClient.ConnectAsync(options);
                    for (var i = 0; i < 3; i++)
                    {
                        await intruder.LoginAsync("windows", "guess");
                    }
                }
                else
                {
                    Assert.Equal(RefusalReason.Blocked, (await clients["seas"].SendAsync("columbia", "let me in")).Refusal);
                    await using var intruder = await ChatClient.ConnectAsync(options);
                    Assert.IsType<LoginLocked>(await intruder.LoginAsync("windows", "withglass"));
                }

                if (round < rounds)
                {
                    var senders = Users.Select((user, i) => SendUntilGoneAsync(clients[user], user, new Random(seed + round * 31 + i))).ToList();

                    // The kill lands at a random moment of a busy stream of sends.
                    await Task.Delay(random.Next(100, 700));
                    await server.KillAsync();
                    await Task.WhenAll(senders).WaitAsync(TestServer.Wait);
                }
                else
                {
                    await WaitUntilAllAcknowledgedAreShownAsync();
                }

                foreach (var client in clients.Values)
                {
                    Interlocked.Add(ref _duplicates, client.DuplicatesSuppressed);
                    await client.DisposeAsync();
                }

                await Task.WhenAll(pumps).WaitAsync(TestServer.Wait);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        var lost = _acknowledged.Keys.Count(id => !_shown.ContainsKey(id));
        var shownTwice = _shown.Values.Count(n => n > 1);
        output.WriteLine($"{_sent} sent, {_acknowledged.Count} acknowledged, {_shown.Count} shown, {_duplicates} duplicates suppressed, {shownTwice} shown twice, {lost} lost");
        Assert.False(_acknowledged.IsEmpty, "nothing was acknowledged: the test proved nothing");
        Assert.Equal(0, lost);
        Assert.Equal(0, shownTwice);
    }

    private async Task SendUntilGoneAsync(ChatClient client, string user, Random random)
    {
        await Task.Yield();
        var others = Users.Where(u => u != user && !(user == "seas" && u == "columbia")).ToArray();
        try
        {
            for (var i = 0; i < 100_000; i++)
            {
                var to = others[random.Next(others.Length)];
                var n = Interlocked.Increment(ref _sent);
                var receipt = await client.SendAsync(to, $"m{n}");
                if (receipt.MessageId is { } id)
                {
                    _acknowledged[id] = to;
                }
            }
        }
        catch (ChatConnectionException)
        {
            // The server died under us: whatever was not acknowledged may or may not have been stored.
        }
    }

    private async Task PumpAsync(ChatClient client)
    {
        await foreach (var notice in client.Notices)
        {
            if (notice is MessageNotice { Message.Kind: MessageKind.Direct } message)
            {
                _shown.AddOrUpdate(message.Message.Id, 1, (_, n) => n + 1);
                _showing.Release();
            }
        }
    }

    private async Task WaitUntilAllAcknowledgedAreShownAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_acknowledged.Keys.Any(id => !_shown.ContainsKey(id)))
        {
            try
            {
                await _showing.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                return; // the assertion below reports what is missing
            }
        }
    }
}
