using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ChatRoom.Auth;
using ChatRoom.Client;
using ChatRoom.Messaging;
using ChatRoom.Protocol;
using ChatRoom.Sessions;
using ChatRoom.Storage.Redis.Tests;
using Xunit.Abstractions;

namespace ChatRoom.Networking.Tests.Apps;

/// <summary>
/// Three server processes share one redis-server of the test's own. Users spread over them send direct messages to each
/// other without pause while a random node is killed with SIGKILL at random moments and started again on its port; a
/// user whose node died logs in at another node (tried in turn, with a short backoff). Once Redis itself is stopped for
/// longer than a node's Redis timeout, and once a node is paused (SIGSTOP) for longer than its lease. Every message acknowledged to its sender must be shown to its recipient exactly
/// once; during the outage no send may be told ok, and afterwards the same node processes must take sends again.
/// CHATROOM_CLUSTER_CRASH_ROUNDS (default 3 kills) and CHATROOM_CRASH_SEED tune it; tools/cluster-crash-test.sh runs it longer.
/// </summary>
public sealed class ClusterCrashTests(ITestOutputHelper output)
{
    // From credentials.txt, which the server app loads by default.
    private static readonly Dictionary<string, string> Users = new()
    {
        ["columbia"] = "116bway",
        ["seas"] = "summerisover",
        ["csee4119"] = "lotsofexams",
        ["foobar"] = "passpass",
        ["google"] = "hasglasses",
        ["facebook"] = "wastingtime",
    };

    private const int NodeCount = 3;
    private const string LeaseSeconds = "2";

    // A node gives up on Redis after its operation timeout (5 s by default, not a server-app flag): the outage must be
    // longer for the nodes to answer anything before Redis returns.
    private static readonly TimeSpan RedisOutage = TimeSpan.FromSeconds(8);

    private readonly ConcurrentDictionary<MessageId, string> _acknowledged = new();
    private readonly ConcurrentDictionary<MessageId, int> _shown = new();
    private readonly ConcurrentDictionary<MessageId, string> _shownTo = new();
    private readonly Dictionary<string, SeenMessageIds> _seen = Users.Keys.ToDictionary(u => u, _ => new SeenMessageIds(1_000_000));
    private readonly ConcurrentDictionary<string, int> _events = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly SemaphoreSlim _showing = new(0);
    private readonly Node[] _nodes = new Node[NodeCount];
    private readonly CancellationTokenSource _quiet = new();
    private readonly ConcurrentDictionary<string, int> _at = new();   // user → the node they are logged in at
    private long _sent;
    private long _sending;
    private long _duplicates;
    private long _outageStopping = long.MaxValue; // Stopwatch ticks: Redis is being stopped from here,
    private long _outageStarted = long.MaxValue;  // is down from here...
    private long _outageEnded = long.MaxValue;    // ...until here (its restart begins)
    private long _serverErrorsInOutage;

    [Fact]
    public async Task Acknowledged_messages_survive_SIGKILLed_nodes_and_a_Redis_outage_with_users_moving_to_other_nodes()
    {
        var rounds = int.Parse(Environment.GetEnvironmentVariable("CHATROOM_CLUSTER_CRASH_ROUNDS") ?? "3", CultureInfo.InvariantCulture);
        var seed = int.Parse(Environment.GetEnvironmentVariable("CHATROOM_CRASH_SEED") ?? Random.Shared.Next().ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        output.WriteLine($"seed {seed}, {rounds} kills, {NodeCount} nodes, lease {LeaseSeconds} s, {Users.Count} users");
        var random = new Random(seed);
        await using var redis = await RedisServer.StartAsync();
        using var stop = new CancellationTokenSource();
        Task[] agents = [];
        try
        {
            for (var i = 0; i < NodeCount; i++)
            {
                _nodes[i] = new Node($"node-{(char)('a' + i)}", redis.Configuration);
            }

            await Task.WhenAll(_nodes.Select(n => n.StartAsync()));

            agents = [.. Users.Keys.Select((user, i) => RunUserAsync(user, i % NodeCount, new Random(seed + (i * 7919)), stop.Token))];
            await WaitForProgressAsync("the first messages");

            var outageAfter = rounds / 2;
            for (var round = 0; round < rounds; round++)
            {
                if (round == outageAfter)
                {
                    await StopRedisForAWhileAsync(redis);
                    await PauseANodeForAWhileAsync(random);
                }

                // The kill lands at a random moment of a busy stream of sends, on a random node.
                await Task.Delay(random.Next(200, 1_200));
                var victim = _nodes[random.Next(NodeCount)];
                await victim.KillAsync();
                Count("node killed");

                // Down for a while (its users move meanwhile), then back on its port under the same name.
                await Task.Delay(random.Next(0, 1_500));
                await victim.StartAsync();
                await WaitForProgressAsync($"kill {round + 1} of {victim.Id}");
            }

            if (rounds == 0)
            {
                await StopRedisForAWhileAsync(redis);
                await PauseANodeForAWhileAsync(random);
            }

            // No more sends: every acknowledged message must now reach its recipient, live, without a new login.
            await _quiet.CancelAsync();
            await WaitUntilAsync(() => Interlocked.Read(ref _sending) == 0, "the last sends were answered");
            await WaitUntilAllAcknowledgedAreShownAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(agents).WaitAsync(TimeSpan.FromSeconds(30));
            if (!_problems.IsEmpty || _acknowledged.Keys.Any(id => !_shown.ContainsKey(id)))
            {
                DumpNodeLogs();
            }

            foreach (var node in _nodes)
            {
                if (node is not null)
                {
                    await node.DisposeAsync();
                }
            }
        }

        var lost = _acknowledged.Keys.Where(id => !_shown.ContainsKey(id)).ToList();
        var shownTwice = _shown.Values.Count(n => n > 1);
        var misdelivered = _shownTo.Count(p => _acknowledged.TryGetValue(p.Key, out var to) && to != p.Value);
        output.WriteLine($"{_sent} sent, {_acknowledged.Count} acknowledged, {_shown.Count} shown, {_duplicates} duplicates suppressed, {shownTwice} shown twice, {lost.Count} lost");
        output.WriteLine("events: " + string.Join(", ", _events.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} {e.Value}")));
        foreach (var id in lost.Take(10))
        {
            output.WriteLine($"lost: {id} to {_acknowledged[id]}");
        }

        foreach (var problem in _problems)
        {
            output.WriteLine("problem: " + problem);
        }

        Assert.True(_acknowledged.Count >= 100, $"only {_acknowledged.Count} messages were acknowledged: the test proved little");
        Assert.Empty(_problems);
        Assert.Empty(lost);
        Assert.Equal(0, shownTwice);
        Assert.Equal(0, misdelivered);
        Assert.True(Interlocked.Read(ref _serverErrorsInOutage) > 0, "no send was answered server-error while Redis was down: the outage was not felt");
    }

    [Fact]
    public async Task A_user_left_on_a_killed_node_shows_offline_at_the_next_sweep_though_the_node_is_back_at_once_under_its_name()
    {
        await using var redis = await RedisServer.StartAsync();
        // Each run of a node is a member of its own (its name plus a run id), so the restarted node-a does not take over
        // the dead run's lease: that lapses 1-2 s after the kill, and its sessions end a lease later.
        await using var nodeA = new Node("node-a", redis.Configuration, lease: "2");
        await using var nodeB = new Node("node-b", redis.Configuration, lease: "2");
        await Task.WhenAll(nodeA.StartAsync(), nodeB.StartAsync());
        await using var watcher = await LogInAsync(nodeB, "columbia");
        await using var left = await LogInAsync(nodeA, "seas");
        Assert.Contains("seas", await watcher.GetOnlineUsersAsync());

        // Killed and started again at once: seas's session is nobody's, and must end with the dead run's lease rather than
        // when its heartbeats time out (75 s), although a node named node-a is running again.
        await nodeA.KillAsync();
        var killed = Stopwatch.StartNew();
        await nodeA.StartAsync();
        while ((await watcher.GetOnlineUsersAsync()).Contains("seas"))
        {
            // The restart takes a few seconds on a busy machine; the lease and its grace take at most 4 s more.
            Assert.True(killed.Elapsed < TimeSpan.FromSeconds(15), $"seas still shows online {killed.Elapsed.TotalSeconds:0.#} s after node-a was killed and restarted");
            await Task.Delay(100);
        }

        output.WriteLine($"seas showed offline {killed.Elapsed.TotalSeconds:0.#} s after the kill");
    }

    private static async Task<ChatClient> LogInAsync(Node node, string user)
    {
        var client = await ChatClient.ConnectAsync(new ChatClientOptions { Host = "127.0.0.1", Port = node.Port, HeartbeatInterval = TimeSpan.FromHours(1) });
        Assert.IsType<LoginSuccess>(await client.LoginAsync(user, Users[user]));
        return client;
    }

    // One user's client for the whole test: logs in at a node, sends to the others until the connection is lost, then
    // logs in at the next node that takes it. Its SeenMessageIds outlive each connection, as an application's would.
    // Once the test goes quiet it only receives.
    private async Task RunUserAsync(string user, int node, Random random, CancellationToken stop)
    {
        await Task.Yield();
        var others = Users.Keys.Where(u => u != user).ToArray();
        while (!stop.IsCancellationRequested)
        {
            var (client, at) = await LogInSomewhereAsync(user, node, stop);
            if (client is null)
            {
                return;
            }

            node = at;
            _at[user] = node;
            var pump = PumpAsync(client, user);
            using var connected = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var watch = WatchSessionAsync(client, user, node, pump, connected.Token);
            try
            {
                for (var i = 0; i < 1_000_000 && !_quiet.IsCancellationRequested; i++)
                {
                    await SendOneAsync(client, others[random.Next(others.Length)], node);
                }

                // Quiet: keep the connection, and take what arrives, until the test ends or the connection does.
                await Task.WhenAny(pump, Task.Delay(Timeout.Infinite, stop));
            }
            catch (ChatConnectionException)
            {
                // The node died (or ended the session): whatever was not acknowledged may or may not have been stored.
                Count("connection lost");
            }
            finally
            {
                await connected.CancelAsync();
                await watch;
                Interlocked.Add(ref _duplicates, client.DuplicatesSuppressed);
                await client.DisposeAsync();
                await pump.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            }

            // Another address first: the one just lost may be dead.
            node = (node + 1) % NodeCount;
        }
    }

    // Heartbeats twice a second. A session the cluster ended (its presence gone) while its node keeps the connection open
    // would never hear of messages sent from other nodes: the node must close it, so the client logs in again.
    private async Task WatchSessionAsync(ChatClient client, string user, int node, Task pump, CancellationToken done)
    {
        try
        {
            while (true)
            {
                await Task.Delay(500, done);
                try
                {
                    await client.HeartbeatAsync(done);
                }
                catch (ChatProtocolException ex) when (ex.Code == ErrorCodes.NotLoggedIn)
                {
                    // The node hears of the end by a signal, which may queue behind others (it just ran again after a pause):
                    // slow is allowed, never is not. (Not `done`: the send loop ends this connection when the node closes it.)
                    Count("heartbeat not-logged-in");
                    var told = Stopwatch.StartNew();
                    if (await Task.WhenAny(pump, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None)) != pump)
                    {
                        _problems.Enqueue($"{user}'s session at {_nodes[node].Id} had ended in the cluster, yet the node kept its connection open for 10 s");
                    }

                    Count($"connection closed {(told.Elapsed < TimeSpan.FromSeconds(1) ? "within 1 s" : "1-10 s")} after heartbeat not-logged-in");

                    await client.DisposeAsync(); // log in again, as an application would
                    return;
                }
                catch (ChatProtocolException ex) when (ex.Code == ErrorCodes.ServerError)
                {
                    // Redis is away: the next beat tries again.
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChatConnectionException)
        {
            // The connection ended, or the test did.
        }
    }

    private async Task SendOneAsync(ChatClient client, string to, int node)
    {
        var n = Interlocked.Increment(ref _sent);
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _sending);
        try
        {
            var receipt = await client.SendAsync(to, $"m{n}");
            var answered = Stopwatch.GetTimestamp();
            if (receipt.MessageId is not { } id)
            {
                Count($"refused {receipt.Refusal}");
                return;
            }

            _acknowledged[id] = to;
            if (started > Interlocked.Read(ref _outageStarted) && answered < Interlocked.Read(ref _outageEnded))
            {
                _problems.Enqueue($"message {id} to {to} was acknowledged while Redis was down (node {_nodes[node].Id})");
            }
        }
        catch (ChatProtocolException ex) when (ex.Code == ErrorCodes.ServerError)
        {
            var answered = Stopwatch.GetTimestamp();
            if (answered > Interlocked.Read(ref _outageStopping) && answered < Interlocked.Read(ref _outageEnded))
            {
                Interlocked.Increment(ref _serverErrorsInOutage);
                Count("server-error while Redis was down");
            }
            else if (answered > Interlocked.Read(ref _outageStopping) && started - (Stopwatch.Frequency * 10) < Interlocked.Read(ref _outageEnded))
            {
                // Answered after Redis returned (sent at most 10 s after): the node had not finished it while Redis was away.
                Count("server-error around the outage");
            }
            else
            {
                _problems.Enqueue($"a send to {to} was answered server-error with Redis up (node {_nodes[node].Id}): {ex.Message}");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _sending);
        }
    }

    // Tries the nodes in turn from `first`, with a backoff growing to 1 s, until one logs the user in. A login the server
    // cannot record (server-error while Redis is down) or a refused one is retried; none should be refused otherwise.
    private async Task<(ChatClient? Client, int Node)> LogInSomewhereAsync(string user, int first, CancellationToken stop)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 30);
        for (var attempt = 0; !stop.IsCancellationRequested; attempt++)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                _problems.Enqueue($"{user} could not log in at any node for 30 s");
                return (null, first);
            }

            var node = (first + attempt) % NodeCount;
            var options = new ChatClientOptions
            {
                Host = "127.0.0.1",
                Port = _nodes[node].Port,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                RequestTimeout = TimeSpan.FromSeconds(20),
                HeartbeatInterval = TimeSpan.FromHours(1),
                SeenMessages = _seen[user],
            };
            ChatClient? client = null;
            try
            {
                client = await ChatClient.ConnectAsync(options, stop);
                var result = await client.LoginAsync(user, Users[user], stop);
                if (result is LoginSuccess)
                {
                    Count(attempt == 0 ? "logged in at once" : "logged in after retries");
                    return (client, node);
                }

                Count($"login {result.GetType().Name}");
                if (result is not LoginUnavailable)
                {
                    _problems.Enqueue($"{user} was refused at {_nodes[node].Id}: {result}");
                }
            }
            catch (ChatConnectionException)
            {
                Count("login attempt found no node");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }

            if (client is not null)
            {
                await client.DisposeAsync();
            }

            if (attempt % NodeCount == NodeCount - 1)
            {
                // Every address tried once: wait a little before the next turn.
                try
                {
                    await Task.Delay(backoff, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.TicksPerSecond));
            }
        }

        return (null, first);
    }

    private async Task PumpAsync(ChatClient client, string user)
    {
        await foreach (var notice in client.Notices)
        {
            switch (notice)
            {
                case MessageNotice { Message.Kind: MessageKind.Direct } message:
                    _shown.AddOrUpdate(message.Message.Id, 1, (_, n) => n + 1);
                    _shownTo[message.Message.Id] = user;
                    _showing.Release();
                    break;
                case DisconnectedNotice disconnected:
                    Count($"disconnected ({disconnected.Reason})");
                    break;
            }
        }
    }

    // Stops Redis (SIGKILL) under load for longer than a node waits for it, then starts it again on its port and folder:
    // the nodes keep running, must answer server-error meanwhile, and take sends again afterwards.
    private async Task StopRedisForAWhileAsync(RedisServer redis)
    {
        var processes = _nodes.Select(n => n.ProcessId).ToArray();
        Interlocked.Exchange(ref _outageStopping, Stopwatch.GetTimestamp());
        redis.Stop();
        Interlocked.Exchange(ref _outageStarted, Stopwatch.GetTimestamp());
        await Task.Delay(RedisOutage);
        Interlocked.Exchange(ref _outageEnded, Stopwatch.GetTimestamp());
        await redis.StartAsync();
        Count("redis outage");

        // Each node, the same process as before, logs a user in and stores a message again once Redis is back.
        for (var i = 0; i < NodeCount; i++)
        {
            await ProbeAsync(i);
        }

        Assert.Equal(processes, _nodes.Select(n => n.ProcessId));
    }

    // SIGSTOP, as a long pause or a network partition would: the node's lease lapses and the other nodes end its
    // sessions. When it runs again its clients must be told (and log in again), and nothing acknowledged may be lost.
    private async Task PauseANodeForAWhileAsync(Random random)
    {
        // The node with the most users (ties at random), so that someone's session is at stake.
        var index = Enumerable.Range(0, NodeCount).OrderByDescending(i => _at.Values.Count(n => n == i)).ThenBy(_ => random.Next()).First();
        var victim = _nodes[index];
        victim.Pause();
        Count("node paused");
        Count("users on the paused node", _at.Values.Count(n => n == index));
        await Task.Delay(TimeSpan.FromSeconds(3 * int.Parse(LeaseSeconds, CultureInfo.InvariantCulture)));
        victim.Resume();
        await WaitForProgressAsync($"{victim.Id} ran again");
    }

    // A user who is not among the senders logs in at one node and sends one message to one of them; retried (a login or
    // send the node cannot complete yet is answered server-error) for at most 30 s.
    private async Task ProbeAsync(int node)
    {
        const string prober = "wikipedia";
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 30);
        var options = new ChatClientOptions { Host = "127.0.0.1", Port = _nodes[node].Port, RequestTimeout = TimeSpan.FromSeconds(20), HeartbeatInterval = TimeSpan.FromHours(1) };
        await using var client = await ChatClient.ConnectAsync(options);
        while (await client.LoginAsync(prober, "donation") is not LoginSuccess)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                _problems.Enqueue($"30 s after Redis returned, {_nodes[node].Id} still could not log a user in");
                return;
            }

            await Task.Delay(100);
        }

        var to = Users.Keys.ElementAt(node);
        while (true)
        {
            try
            {
                var receipt = await client.SendAsync(to, $"probe of {_nodes[node].Id}");
                _acknowledged[receipt.MessageId ?? throw new InvalidOperationException($"probe refused: {receipt.Refusal}")] = to;
                Count("probe acknowledged after the outage");
                return;
            }
            catch (ChatProtocolException ex) when (ex.Code == ErrorCodes.ServerError && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
            {
                _problems.Enqueue($"not within 30 s: {what}");
                return;
            }

            await Task.Delay(20);
        }
    }

    private Task WaitForProgressAsync(string after)
    {
        var start = _acknowledged.Count;
        return WaitUntilAsync(() => _acknowledged.Count >= start + 50, $"50 more messages acknowledged after {after}");
    }

    private async Task WaitUntilAllAcknowledgedAreShownAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        while (_acknowledged.Keys.Any(id => !_shown.ContainsKey(id)))
        {
            try
            {
                await _showing.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                return; // the assertion reports what is missing
            }
        }
    }

    private void Count(string what, int by = 1) => _events.AddOrUpdate(what, by, (_, n) => n + by);

    private void DumpNodeLogs()
    {
        foreach (var node in _nodes.Where(n => n is not null))
        {
            foreach (var line in node.Log.TakeLast(60))
            {
                output.WriteLine($"[{node.Id}] {(line.Length > 400 ? line[..400] + "…" : line)}");
            }
        }
    }

    /// <summary>One node: a server-app process on its own port (kept across restarts) under one name and lease (seconds).</summary>
    private sealed class Node(string id, string redis, string lease = LeaseSeconds) : IAsyncDisposable
    {
        private readonly List<AppProcess> _incarnations = [];
        private AppProcess? _process;

        public string Id => id;

        public int Port { get; private set; }

        public int? ProcessId => _process?.Id;

        /// <summary>What every incarnation printed, oldest first.</summary>
        public IEnumerable<string> Log => _incarnations.SelectMany((p, i) => p.Lines.Select(l => $"#{i} {l}"));

        public async Task StartAsync()
        {
            var (process, port) = await AppProcess.StartServerOnAsync(Port, "--redis", redis, "--node-id", id, "--node-lease", lease);
            _incarnations.Add(process);
            _process = process;
            Port = port;
        }

        public void Pause() => _process?.Pause();

        public void Resume() => _process?.Resume();

        public async Task KillAsync()
        {
            if (_process is not null)
            {
                await _process.KillAsync();
                _process = null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var process in _incarnations)
            {
                await process.DisposeAsync();
            }
        }
    }
}
