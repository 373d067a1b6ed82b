using ChatRoom.Blocking;
using ChatRoom.Server;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Networking.Tests.Server;

/// <summary>
/// Every login and logout is announced to everyone online: a storm of them must not cut a client that keeps reading, must
/// cost a client that never reads at most one notice per user, and must leave every client with each user's last state.
/// </summary>
public sealed class PresenceStormTests
{
    // A small queue and a 1 KiB receive buffer, so "behind" comes after about a hundred lines rather than thousands.
    private const int Queue = 64;
    private const int ReceiveBuffer = 1024;

    [Fact]
    public async Task Two_thousand_logins_and_a_mass_logout_do_not_cut_a_slow_reader_and_it_ends_with_everyone_offline()
    {
        const int users = 2_000;
        var names = Enumerable.Range(0, users).Select(i => $"u{i:D4}").ToArray();
        await using var server = await StartAsync([.. names, "watcher"]);
        var watcher = server.ConnectRawFrom("10.0.0.1", ReceiveBuffer);
        await watcher.SendAsync("login watcher pw\n");
        await watcher.ExpectAsync("ok login");

        // The watcher reads all the time, but one line for every four logins or logouts: far slower than the storm.
        var permits = new SemaphoreSlim(0);
        var seen = new Dictionary<string, List<bool>>(StringComparer.Ordinal);
        var reading = Task.Run(async () =>
        {
            var offline = 0;
            while (offline < users)
            {
                await permits.WaitAsync(TestServer.Wait);
                var line = await watcher.ReadLineAsync() ?? throw new InvalidOperationException("the watcher was disconnected");
                if (line.StartsWith("presence ", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ');
                    var states = seen.TryGetValue(parts[1], out var list) ? list : seen[parts[1]] = [];
                    var wasOffline = states.Count > 0 && !states[^1];
                    states.Add(parts[2] == "online");
                    offline += (states[^1], wasOffline) switch { (false, false) => 1, (true, true) => -1, _ => 0 };
                }
            }
        });

        var clients = new List<RawClient>(users);
        for (var i = 0; i < users; i++)
        {
            var client = server.ConnectRawFrom($"10.1.{i / 250}.{i % 250}");
            await client.SendAsync($"login {names[i]} pw\n");
            await client.ExpectAsync("ok login");
            clients.Add(client);
            if (i % 4 == 3)
            {
                permits.Release();
            }
        }

        // All of them drop their connections at once.
        for (var i = 0; i < users; i++)
        {
            await clients[i].DisposeAsync();
            if (i % 4 == 3)
            {
                permits.Release();
            }
        }

        permits.Release(int.MaxValue / 2);
        await reading.WaitAsync(TimeSpan.FromSeconds(60));

        // Each user's last word is offline, and nobody was seen online again after being seen offline.
        Assert.Equal(users, seen.Count);
        Assert.All(seen, s => Assert.False(s.Value[^1], s.Key));
        Assert.All(seen, s => Assert.DoesNotContain(s.Value.SkipWhile(online => online).Skip(1), online => online));
        await watcher.SendAsync("online\n");
        Assert.Equal("ok online watcher", await watcher.ExpectAsync("ok online"));
        Assert.DoesNotContain(server.Logs.Lines, l => l.Contains("slow reader", StringComparison.Ordinal) && l.Contains("watcher", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_that_never_reads_holds_one_presence_per_user_and_later_sees_each_users_last_state_but_never_a_blocker()
    {
        await using var server = await StartAsync(["watcher", "a", "b", "c", "d", "hider"]);

        // hider blocked the watcher before either was online: the watcher must never hear of hider, coalesced or not.
        var hider = server.ConnectRawFrom("10.0.0.9");
        await hider.SendAsync("login hider pw\nblock watcher\nlogout\n");
        await hider.ExpectAsync("bye");

        var watcher = server.ConnectRawFrom("10.0.0.1", ReceiveBuffer);
        await watcher.SendAsync("login watcher pw\n");

        // Thousands of flips while the watcher reads nothing: far more than its queue and buffer hold.
        const int rounds = 300;
        foreach (var round in Enumerable.Range(0, rounds))
        {
            foreach (var user in new[] { "a", "b", "c", "d", "hider" })
            {
                var client = server.ConnectRawFrom("10.0.0.2");
                var stays = round == rounds - 1 && user is "a" or "b" or "hider";
                await client.SendAsync(stays ? $"login {user} pw\nonline\n" : $"login {user} pw\nlogout\n");
                await client.ExpectAsync(stays ? "ok online" : "bye");
            }
        }

        // Now it reads, until it knows each user's last state: by then it has had at most one line per user beyond what its
        // queue and buffer held. (Coalesced presence may follow a reply queued after it; it is never older than the reply.)
        var expected = new Dictionary<string, string> { ["a"] = "online", ["b"] = "online", ["c"] = "offline", ["d"] = "offline" };
        var presence = new List<string>();
        var last = new Dictionary<string, string>();
        while (!last.OrderBy(p => p.Key).SequenceEqual(expected.OrderBy(p => p.Key)) && presence.Count < 10_000)
        {
            var line = await watcher.ReadLineAsync() ?? throw new InvalidOperationException("the watcher was disconnected");
            if (line.StartsWith("presence ", StringComparison.Ordinal))
            {
                presence.Add(line);
                last[line.Split(' ')[1]] = line.Split(' ')[2];
            }
        }

        Assert.Equal(expected, last);
        Assert.InRange(presence.Count, 4, Queue + (ReceiveBuffer / "presence a online\n".Length) + 5);
        Assert.DoesNotContain(presence, p => p.Contains("hider", StringComparison.Ordinal));
        await watcher.SendAsync("online\n");
        Assert.Equal("ok online a b watcher", await watcher.ExpectAsync("ok online"));
        Assert.DoesNotContain(server.Logs.Lines, l => l.Contains("slow reader", StringComparison.Ordinal));
    }

    private static Task<TestServer> StartAsync(string[] users) => TestServer.StartAsync(
        core: o => o.DeliveryWindow = 8,
        server: o =>
        {
            o.OutboundQueueCapacity = Queue;
            o.MaxConnectionsPerAddress = 10_000;
        },
        services: s => s.AddChatRoomCredentials(users.Select(u => KeyValuePair.Create(u, "pw"))));
}
