using ChatRoom.Auth;
using ChatRoom.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Networking.Tests.Server;

/// <summary>Issue 10 over the wire: the lockout fails closed, is kept per address, and failed logins cannot flood the log.</summary>
public sealed class LoginDefenceServerTests
{
    [Fact]
    public async Task When_lockouts_cannot_be_written_the_right_password_is_refused_too()
    {
        var store = new BreakableLockoutStore { Broken = true };
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<ILockoutStore>(store));
        var raw = await server.ConnectRawAsync();

        for (var i = 0; i < 100; i++)
        {
            await raw.SendAsync($"login seas guess{i}\n");
            await raw.ExpectAsync("error server-error :login refused");
        }

        await raw.SendAsync("login seas summerisover\n");
        await raw.ExpectAsync("error server-error :login refused");

        store.Broken = false;
        var client = await server.ConnectAsync();
        Assert.Equal(new LoginSuccess("seas"), await client.LoginAsync("seas", "summerisover"));
        Assert.Contains(server.Logs.Lines, l => l.StartsWith("Error: Login refused: seas", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logins_refused_while_lockouts_cannot_be_written_are_logged_once_then_once_per_ten_seconds_with_the_count()
    {
        var store = new BreakableLockoutStore { Broken = true };
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<ILockoutStore>(store));
        var raw = await server.ConnectRawAsync();
        const string Line = "the attempt could not be counted";

        for (var i = 0; i < 50; i++)
        {
            await raw.SendAsync($"login seas guess{i}\n");
            await raw.ExpectAsync("error server-error :login refused");
        }

        Assert.Single(server.Logs.Lines, l => l.Contains(Line, StringComparison.Ordinal));

        server.Time.Advance(TimeSpan.FromSeconds(10));
        await raw.SendAsync("login seas guess-after\n");
        await raw.ExpectAsync("error server-error :login refused");

        await server.Logs.WaitForAsync(Line, 2);
        Assert.Contains(server.Logs.Lines, l => l.Contains(Line + " (49 more such refusals", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_name_locked_from_one_address_still_logs_in_from_another()
    {
        await using var server = await TestServer.StartAsync();
        var guesser = await server.ConnectAsync(remoteAddress: "10.66.6.6");
        for (var i = 0; i < 3; i++)
        {
            await guesser.LoginAsync("seas", "guess");
        }

        Assert.IsType<LoginLocked>(await guesser.LoginAsync("seas", "summerisover"));

        var owner = await server.ConnectAsync(remoteAddress: "10.0.0.1");
        Assert.Equal(new LoginSuccess("seas"), await owner.LoginAsync("seas", "summerisover"));
    }

    [Fact]
    public async Task A_name_failing_from_many_addresses_slows_those_addresses_and_lets_the_owner_in_at_once()
    {
        await using var server = await TestServer.StartAsync(core: o => o.AccountSlowdownAfter = 3);
        for (var i = 1; i <= 3; i++)
        {
            var guesser = await server.ConnectAsync(remoteAddress: $"10.66.6.{i}");
            Assert.IsType<LoginInvalid>(await guesser.LoginAsync("seas", "guess"));
        }

        var again = await server.ConnectRawAsync("10.66.6.1");
        await again.SendAsync("login seas guess\n");
        await again.ExpectAsync("error try-again 3 :");

        var owner = await server.ConnectRawAsync("10.0.0.1");
        await owner.SendAsync("login seas summerisover\n");
        await owner.ExpectAsync("ok login seas");
    }

    [Fact]
    public async Task An_address_guessing_many_names_is_refused_for_every_name()
    {
        await using var server = await TestServer.StartAsync(core: o => o.MaxFailedLoginsPerAddress = 10);
        var raw = await server.ConnectRawAsync("10.66.6.6");
        for (var i = 0; i < 9; i++)
        {
            await raw.SendAsync($"login made-up{i} x\n");
            await raw.ExpectAsync("error wrong-credentials");
        }

        await raw.SendAsync("login made-up9 x\n");
        await raw.ExpectAsync("error address-locked 900 :");
        await raw.SendAsync("login seas summerisover\n");
        await raw.ExpectAsync("error address-locked ");
        await server.Logs.WaitForAsync("Address locked: 10.66.6.6");
    }

    [Fact]
    public async Task Ten_thousand_failed_logins_with_made_up_names_log_no_warning_per_attempt()
    {
        await using var server = await TestServer.StartAsync();
        var raw = await server.ConnectRawAsync("10.66.6.6");
        await raw.ExpectAsync("hello ");

        // A hundred lines at a time, well inside the server's bound on unread replies.
        for (var batch = 0; batch < 100; batch++)
        {
            await raw.SendAsync(string.Concat(Enumerable.Range(batch * 100, 100).Select(i => $"login made-up{i} x\n")));
            for (var i = 0; i < 100; i++)
            {
                Assert.StartsWith("error ", await raw.ReadLineAsync());
            }
        }

        var warnings = server.Logs.Lines.Where(l => l.StartsWith("Warning:", StringComparison.Ordinal) || l.StartsWith("Error:", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 1, string.Join(" | ", warnings)); // the address locking, once
    }

    /// <summary>An in-memory lockout store whose writes can be made to fail, as a full disk makes them.</summary>
    private sealed class BreakableLockoutStore : ILockoutStore
    {
        private readonly InMemoryLockoutStore _inner = new();

        public bool Broken { get; set; }

        public ValueTask<LockoutState> GetAsync(string user, CancellationToken cancellationToken = default) => _inner.GetAsync(user, cancellationToken);

        public ValueTask<bool> TryUpdateAsync(string user, LockoutState expected, LockoutState next, CancellationToken cancellationToken = default)
            => Broken ? throw new ChatStoreException("chatroom.db", "could not store: database or disk is full") : _inner.TryUpdateAsync(user, expected, next, cancellationToken);

        public ValueTask<int> PurgeAsync(DateTimeOffset failedBefore, DateTimeOffset now, CancellationToken cancellationToken = default)
            => _inner.PurgeAsync(failedBefore, now, cancellationToken);
    }
}
