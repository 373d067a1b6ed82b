using System.Diagnostics;
using ChatRoom.Presence;
using ChatRoom.Storage.Redis.Cluster;
using Xunit.Abstractions;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

public sealed class RedisPresenceDirectoryTests(RedisServer server, ITestOutputHelper output) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private ClusterTestKit _kit = null!;

    public async Task InitializeAsync() => _kit = await ClusterTestKit.StartAsync(server);

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Fact]
    public async Task Login_records_the_node_and_every_field()
    {
        var presence = await _kit.PresenceAsync("node-a");
        var session = ClusterCodecTests.FullSession() with { Node = "node-a", LastHeartbeat = _kit.Time.GetUtcNow() };
        var expected = session with { LastHeartbeat = Milliseconds(session.LastHeartbeat) };

        var login = await presence.LoginAsync(session);

        Assert.Equal(session, login.Session);
        Assert.Null(login.Displaced);
        AssertSame(expected, await presence.FindAsync(session.User));
        AssertSame(expected, Assert.Single(await presence.ListAsync()));
        Assert.Equal([session.User], await _kit.MembersAsync(_kit.Keys.NodeUsers("node-a")));
        Assert.Equal(["node-a"], await _kit.MembersAsync(_kit.Keys.Nodes));
        Assert.True(await _kit.Raw.KeyExistsAsync(_kit.Keys.NodeLease("node-a")));
        Assert.Null(await presence.FindAsync("nobody"));
    }

    [Fact]
    public async Task LastHeartbeat_is_kept_to_the_millisecond()
    {
        var presence = await _kit.PresenceAsync("node-a");
        _kit.Time.Advance(TimeSpan.FromTicks(1_234_567));
        var session = _kit.NewSession("ann", "node-a");
        await presence.LoginAsync(session);
        Assert.Equal(Milliseconds(session.LastHeartbeat), (await presence.FindAsync("ann"))!.LastHeartbeat);
        Assert.NotEqual(session.LastHeartbeat, Milliseconds(session.LastHeartbeat));

        _kit.Time.Advance(TimeSpan.FromTicks(98_765_432));
        Assert.True(await presence.HeartbeatAsync(session.Id, "ann"));

        var found = await presence.FindAsync("ann");
        Assert.Equal(Milliseconds(_kit.Time.GetUtcNow()), found!.LastHeartbeat);
        Assert.Equal(session.LoginTime, found.LoginTime);
        Assert.Equal(Milliseconds(_kit.Time.GetUtcNow()).ToUnixTimeMilliseconds(), (long)(await _kit.Raw.SortedSetScoreAsync(_kit.Keys.Online, "ann"))!);
    }

    [Fact]
    public async Task A_login_without_a_node_is_recorded_on_the_directory_s_node()
    {
        var presence = await _kit.PresenceAsync("node-a");
        var session = _kit.NewSession("ann", node: null);

        var login = await presence.LoginAsync(session);

        Assert.Equal(["ann"], await _kit.MembersAsync(_kit.Keys.NodeUsers("node-a")));
        Assert.Equal("node-a", login.Session.Node);
        Assert.Equal("node-a", (await presence.FindAsync("ann"))!.Node);
        Assert.Equal("node-a", Assert.Single(await presence.ListAsync()).Node);
    }

    [Theory]
    [InlineData("node-a")]
    [InlineData("node-b")]
    public async Task A_second_login_displaces_the_first_and_moves_the_user_between_nodes(string secondNode)
    {
        var a = await _kit.PresenceAsync("node-a");
        var b = await _kit.PresenceAsync("node-b");
        var first = _kit.NewSession("ann", "node-a");
        await a.LoginAsync(first);
        _kit.Time.Advance(TimeSpan.FromSeconds(3));
        var second = _kit.NewSession("ann", secondNode);

        var login = await (secondNode == "node-a" ? a : b).LoginAsync(second);

        AssertSame(first, login.Displaced);
        AssertSame(second, await a.FindAsync("ann"));
        AssertSame(second, Assert.Single(await b.ListAsync()));
        Assert.Equal(secondNode == "node-a" ? ["ann"] : [], await _kit.MembersAsync(_kit.Keys.NodeUsers("node-a")));
        Assert.Equal(secondNode == "node-b" ? ["ann"] : [], await _kit.MembersAsync(_kit.Keys.NodeUsers("node-b")));
        Assert.False(await a.HeartbeatAsync(first.Id, "ann"));
        Assert.Null(await a.LogoutAsync(first.Id, "ann", LogoutReason.Requested));
        AssertSame(second, await b.FindAsync("ann"));
    }

    [Fact]
    public async Task A_stale_heartbeat_returns_false_and_changes_nothing()
    {
        var presence = await _kit.PresenceAsync("node-a");
        var session = _kit.NewSession("ann", "node-a");
        await presence.LoginAsync(session);
        var before = await _kit.Raw.HashGetAllAsync(_kit.Keys.Session("ann"));
        var score = await _kit.Raw.SortedSetScoreAsync(_kit.Keys.Online, "ann");
        _kit.Time.Advance(TimeSpan.FromSeconds(10));

        Assert.False(await presence.HeartbeatAsync(SessionId.New(), "ann"));
        Assert.False(await presence.HeartbeatAsync(session.Id, "bob"));

        Assert.Equal(before, await _kit.Raw.HashGetAllAsync(_kit.Keys.Session("ann")));
        Assert.Equal(score, await _kit.Raw.SortedSetScoreAsync(_kit.Keys.Online, "ann"));
        Assert.False(await _kit.Raw.KeyExistsAsync(_kit.Keys.Session("bob")));
        Assert.Null(await _kit.Raw.SortedSetScoreAsync(_kit.Keys.Online, "bob"));
    }

    [Fact]
    public async Task Logout_removes_the_session_everywhere_and_a_stale_logout_returns_null()
    {
        var presence = await _kit.PresenceAsync("node-a");
        var session = _kit.NewSession("ann", "node-a");
        await presence.LoginAsync(session);

        Assert.Null(await presence.LogoutAsync(SessionId.New(), "ann", LogoutReason.Requested));
        AssertSame(session, await presence.FindAsync("ann"));

        AssertSame(session, await presence.LogoutAsync(session.Id, "ann", LogoutReason.Disconnected));

        Assert.Null(await presence.FindAsync("ann"));
        Assert.Empty(await presence.ListAsync());
        Assert.Null(await _kit.Raw.SortedSetScoreAsync(_kit.Keys.Online, "ann"));
        Assert.Empty(await _kit.MembersAsync(_kit.Keys.NodeUsers("node-a")));
        Assert.Null(await presence.LogoutAsync(session.Id, "ann", LogoutReason.Disconnected));
        Assert.False(await presence.HeartbeatAsync(session.Id, "ann"));
    }

    [Fact]
    public async Task Sweep_keeps_a_heartbeat_exactly_at_the_timeout_and_expires_one_a_millisecond_older()
    {
        var presence = await _kit.PresenceAsync("node-a");
        var old = _kit.NewSession("old", "node-a");
        await presence.LoginAsync(old);
        _kit.Time.Advance(TimeSpan.FromMilliseconds(1));
        var edge = _kit.NewSession("edge", "node-a");
        await presence.LoginAsync(edge);
        _kit.Time.Advance(_kit.Options.HeartbeatTimeout);

        AssertSame(old, Assert.Single(await presence.SweepAsync()));

        Assert.Null(await presence.FindAsync("old"));
        Assert.Equal(["edge"], await _kit.MembersAsync(_kit.Keys.NodeUsers("node-a")));
        Assert.Empty(await presence.SweepAsync());
        AssertSame(edge, await presence.FindAsync("edge"));
        Assert.True(await presence.HeartbeatAsync(edge.Id, "edge"));
        _kit.Time.Advance(_kit.Options.HeartbeatTimeout);
        Assert.Empty(await presence.SweepAsync());
        _kit.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("edge", Assert.Single(await presence.SweepAsync()).User);
        Assert.Empty(await presence.ListAsync());
        Assert.Empty(await _kit.MembersAsync(_kit.Keys.NodeUsers("node-a")));
    }

    [Fact]
    public async Task When_a_node_s_lease_lapses_another_node_s_sweep_ends_its_sessions_and_no_others()
    {
        var a = await _kit.PresenceAsync("node-a");
        var b = await _kit.PresenceAsync("node-b");
        var onA = new List<SessionInfo>();
        for (var i = 0; i < 20; i++)
        {
            onA.Add(_kit.NewSession($"a{i}", "node-a"));
            await a.LoginAsync(onA[^1]);
        }

        var onB = _kit.NewSession("b0", "node-b");
        await b.LoginAsync(onB);
        var moved = _kit.NewSession("moved", "node-a");
        await a.LoginAsync(moved);
        var movedNow = _kit.NewSession("moved", "node-b");
        await b.LoginAsync(movedNow);

        Assert.Empty(await b.SweepAsync());
        await _kit.LeaseLapsedLongAgoAsync("node-a");

        var swept = await b.SweepAsync();

        Assert.Equal(onA.Select(static s => s.Id.Value).Order(), swept.Select(static s => s.Id.Value).Order());
        Assert.All(swept, static s => Assert.Equal("node-a", s.Node));
        Assert.Equal(["b0", "moved"], (await b.ListAsync()).Select(static s => s.User).Order());
        AssertSame(movedNow, await a.FindAsync("moved"));
        Assert.False(await _kit.Raw.KeyExistsAsync(_kit.Keys.NodeUsers("node-a")));
        Assert.Equal(["node-b"], await _kit.MembersAsync(_kit.Keys.Nodes));
        Assert.Equal(["b0", "moved"], await _kit.MembersAsync(_kit.Keys.NodeUsers("node-b")));
        Assert.Empty(await a.SweepAsync());
        Assert.False(await a.HeartbeatAsync(onA[0].Id, onA[0].User));
    }

    [Fact]
    public async Task A_short_lease_that_is_not_renewed_lapses_in_Redis_and_the_next_sweep_ends_the_sessions()
    {
        var a = await _kit.PresenceAsync("node-a", lease: TimeSpan.FromMilliseconds(300));
        var b = await _kit.PresenceAsync("node-b");
        var session = _kit.NewSession("ann", "node-a");
        await a.LoginAsync(session);
        Assert.Empty(await b.SweepAsync());

        var waited = Stopwatch.StartNew();
        while (await _kit.Raw.KeyExistsAsync(_kit.Keys.NodeLease("node-a")))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "the lease key did not lapse");
            await Task.Delay(20);
        }

        // The first sweep to find the lease gone gives the node a lease to renew it (Redis may just have come back).
        Assert.Empty(await b.SweepAsync());
        Assert.NotNull(await b.FindAsync("ann"));
        Assert.True(await _kit.Raw.KeyExistsAsync(_kit.Keys.NodeMissing("node-a")));

        // A lease later (the sweeper's lease: five minutes here), the marker has aged past it: the node is dead.
        await _kit.Raw.KeyExpireAsync(_kit.Keys.NodeMissing("node-a"), TimeSpan.FromMinutes(45) - TimeSpan.FromSeconds(1));
        AssertSame(session, Assert.Single(await b.SweepAsync()));
        Assert.Null(await b.FindAsync("ann"));
    }

    [Fact]
    public async Task Two_nodes_sweeping_at_once_end_each_session_of_a_dead_node_exactly_once()
    {
        var dead = await _kit.PresenceAsync("node-dead");
        var sweepers = new[] { await _kit.PresenceAsync("node-b"), await _kit.PresenceAsync("node-c") };
        for (var round = 0; round < 5; round++)
        {
            var sessions = Enumerable.Range(0, 300).Select(i => _kit.NewSession($"r{round}-u{i}", "node-dead")).ToList();
            await Task.WhenAll(sessions.Select(s => dead.LoginAsync(s).AsTask()));
            await _kit.LeaseLapsedLongAgoAsync("node-dead");

            var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => sweepers[i % 2].SweepAsync().AsTask()));

            var swept = results.SelectMany(static r => r).Select(static s => s.Id.Value).ToList();
            Assert.Equal(sessions.Count, swept.Count);
            Assert.Equal(sessions.Select(static s => s.Id.Value).Order(), swept.Order());
            Assert.Empty(await sweepers[0].ListAsync());
        }
    }

    [Fact]
    public async Task A_node_whose_lease_is_alive_keeps_its_sessions()
    {
        var a = await _kit.PresenceAsync("node-a");
        var b = await _kit.PresenceAsync("node-b");
        await a.LoginAsync(_kit.NewSession("ann", "node-a"));
        await b.LoginAsync(_kit.NewSession("bob", "node-b"));

        Assert.Empty(await b.SweepAsync());
        Assert.Empty(await a.SweepAsync());

        Assert.Equal(2, (await a.ListAsync()).Count);
        Assert.Equal(["node-a", "node-b"], (await _kit.MembersAsync(_kit.Keys.Nodes)).Order());
    }

    [Fact]
    public async Task Ten_thousand_users_are_listed()
    {
        const int Users = 10_000;
        var presence = await _kit.PresenceAsync("node-a");
        var sessions = Enumerable.Range(0, Users).Select(i => _kit.NewSession($"user-{i}", "node-a")).ToList();

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(sessions.Select(s => presence.LoginAsync(s).AsTask()));
        var loggingIn = clock.Elapsed;
        clock.Restart();
        var listed = await presence.ListAsync();
        var listing = clock.Elapsed;

        Assert.Equal(sessions.Select(static s => s.Id.Value).Order(), listed.Select(static s => s.Id.Value).Order());
        _kit.Time.Advance(_kit.Options.HeartbeatTimeout + TimeSpan.FromMilliseconds(1));
        clock.Restart();
        var swept = await presence.SweepAsync();
        var sweeping = clock.Elapsed;
        Assert.Equal(Users, swept.Count);
        output.WriteLine($"{Users} logins (pipelined) {loggingIn.TotalMilliseconds:F0} ms, list {listing.TotalMilliseconds:F0} ms, sweep of all {sweeping.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task Sweep_drops_an_expired_entry_whose_session_is_gone()
    {
        var presence = await _kit.PresenceAsync("node-a");
        await presence.LoginAsync(_kit.NewSession("ann", "node-a"));
        await presence.LoginAsync(_kit.NewSession("bob", "node-a"));
        // As a maxmemory policy may evict it.
        await _kit.Raw.KeyDeleteAsync(_kit.Keys.Session("ann"));
        _kit.Time.Advance(_kit.Options.HeartbeatTimeout + TimeSpan.FromMilliseconds(1));

        Assert.Equal("bob", Assert.Single(await presence.SweepAsync()).User);

        Assert.Equal(0, await _kit.Raw.SortedSetLengthAsync(_kit.Keys.Online));
    }

    [Fact]
    public async Task A_session_that_cannot_be_read_is_a_store_error()
    {
        var presence = await _kit.PresenceAsync("node-a");
        await presence.LoginAsync(_kit.NewSession("ann", "node-a"));
        await _kit.Raw.HashSetAsync(_kit.Keys.Session("ann"), "info", "{not json");

        await Assert.ThrowsAsync<ChatStoreException>(async () => await presence.FindAsync("ann"));
        await Assert.ThrowsAsync<ChatStoreException>(async () => await presence.ListAsync());
    }

    [Fact]
    public async Task Every_method_fails_with_a_store_error_while_Redis_is_down_and_works_again_after()
    {
        await using var own = await RedisServer.StartAsync();
        await using var kit = await ClusterTestKit.StartAsync(own);
        var presence = await kit.PresenceAsync("node-a", operationTimeout: TimeSpan.FromMilliseconds(500));
        var session = kit.NewSession("ann", "node-a");
        await presence.LoginAsync(session);

        own.Stop();
        var calls = new (string Name, Func<Task> Call)[]
        {
            ("login", async () => await presence.LoginAsync(kit.NewSession("bob", "node-a"))),
            ("heartbeat", async () => await presence.HeartbeatAsync(session.Id, "ann")),
            ("logout", async () => await presence.LogoutAsync(session.Id, "ann", LogoutReason.Requested)),
            ("find", async () => await presence.FindAsync("ann")),
            ("list", async () => await presence.ListAsync()),
            ("sweep", async () => await presence.SweepAsync()),
        };
        foreach (var (name, call) in calls)
        {
            var clock = Stopwatch.StartNew();
            await Assert.ThrowsAsync<ChatStoreException>(call);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{name} took {clock.Elapsed}");
        }

        await own.StartAsync();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                Assert.True(await presence.HeartbeatAsync(session.Id, "ann"));
                break;
            }
            catch (ChatStoreException) when (waited.Elapsed < TimeSpan.FromSeconds(20))
            {
            }
        }

        foreach (var (_, call) in calls)
        {
            await call();
        }
    }

    private static DateTimeOffset Milliseconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    // Records compare times by instant; the heartbeat comes back in UTC at ms precision, the rest exactly.
    [Fact]
    public async Task A_missing_lease_seen_just_before_an_outage_is_given_its_full_grace_again_when_Redis_returns()
    {
        // Redis came back, a sweep found node-a's lease missing before node-a could renew it, then Redis went away again
        // for longer than a lease. The outage must not count towards ending node-a's sessions (attack finding H1).
        var lease = TimeSpan.FromSeconds(1);
        await using var own = await RedisServer.StartAsync();
        await using var kit = await ClusterTestKit.StartAsync(own);
        var a = await kit.PresenceAsync("node-a", lease);
        var sweeper = await kit.PresenceAsync("node-b", lease);
        await a.LoginAsync(kit.NewSession("ann", "node-a"));
        await kit.Raw.KeyDeleteAsync(kit.Keys.NodeLease("node-a"));
        Assert.Empty(await sweeper.SweepAsync());
        Assert.True(await kit.Raw.KeyExistsAsync(kit.Keys.NodeMissing("node-a")));

        own.Stop();
        await Task.Delay(lease * 1.5); // the outage: Redis's own clock must move on
        await own.StartAsync();

        var resumed = Stopwatch.StartNew();
        Assert.Empty(await SweepUntilAsync(sweeper, TimeSpan.FromSeconds(1))); // a lease of sweeps, every 100 ms
        Assert.NotNull(await sweeper.FindAsync("ann"));

        // Never renewed after all: node-a is dead, and its sessions end a grace after Redis returned, not before.
        var ended = await SweepUntilAsync(sweeper, TimeSpan.FromSeconds(10), stopAtFirst: true);
        Assert.Equal("ann", Assert.Single(ended).User);
        Assert.True(resumed.Elapsed >= lease, $"ended {resumed.Elapsed} after Redis returned");
    }

    [Fact]
    public async Task After_an_outage_longer_than_the_heartbeat_timeout_sessions_get_a_whole_timeout_to_beat_again()
    {
        await using var own = await RedisServer.StartAsync();
        await using var kit = await ClusterTestKit.StartAsync(own);
        kit.Options.HeartbeatTimeout = TimeSpan.FromSeconds(2);
        var sweeper = await kit.PresenceAsync("node-b", TimeSpan.FromSeconds(1));
        var session = kit.NewSession("ann", "node-c");
        await sweeper.LoginAsync(session);
        // node-c stays alive throughout (its lease outlasts the test): only the heartbeat can end ann's session.
        await kit.Raw.StringSetAsync(kit.Keys.NodeLease("node-c"), "1", TimeSpan.FromMinutes(5));
        Assert.Empty(await sweeper.SweepAsync());

        own.Stop();
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // longer than a lease: nobody could sweep or beat
        kit.Time.Advance(TimeSpan.FromSeconds(10)); // the node's clock: ann's last recorded beat is long past the timeout
        await own.StartAsync();

        var resumed = Stopwatch.StartNew();
        Assert.Empty(await SweepUntilAsync(sweeper, TimeSpan.FromSeconds(1)));
        Assert.NotNull(await sweeper.FindAsync("ann"));

        // No beat comes: ann's session ends once a whole timeout has passed in Redis since sweeping resumed.
        var ended = await SweepUntilAsync(sweeper, TimeSpan.FromSeconds(10), stopAtFirst: true);
        Assert.Equal("ann", Assert.Single(ended).User);
        Assert.True(resumed.Elapsed >= kit.Options.HeartbeatTimeout, $"ended {resumed.Elapsed} after Redis returned");
    }

    /// <summary>Sweeps every 100 ms for <paramref name="duration"/> (or until one ends something), returning what they ended.</summary>
    private static async Task<List<SessionInfo>> SweepUntilAsync(RedisPresenceDirectory sweeper, TimeSpan duration, bool stopAtFirst = false)
    {
        var ended = new List<SessionInfo>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            ended.AddRange(await sweeper.SweepAsync());
            if (stopAtFirst && ended.Count > 0)
            {
                return ended;
            }

            await Task.Delay(100);
        }

        return ended;
    }

    private static void AssertSame(SessionInfo? expected, SessionInfo? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected with { LastHeartbeat = default }, actual with { LastHeartbeat = default });
        Assert.Equal(expected.LoginTime.Offset, actual.LoginTime.Offset);
        Assert.Equal(Milliseconds(expected.LastHeartbeat), actual.LastHeartbeat);
    }
}
