using ChatRoom.Auth;
using ChatRoom.Events;
using ChatRoom.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Core.Tests.Auth;

/// <summary>Issue 10: the lockout fails closed, cannot be turned against the owner, and leaves nothing behind.</summary>
public sealed class LoginDefenceTests
{
    private const string Owner = "10.0.0.1";
    private const string Guesser = "10.66.6.6";

    [Fact]
    public async Task While_the_store_cannot_write_every_attempt_is_refused_even_the_right_password()
    {
        var store = new BreakableLockoutStore { Broken = true };
        using var core = CoreHarness.Create(services: s => s.AddSingleton<ILockoutStore>(store));
        var auth = core.Get<IAuthService>();

        for (var i = 0; i < 100; i++)
        {
            Assert.IsType<LoginUnavailable>(await auth.LoginAsync("seas", "guess" + i, Guesser));
        }

        Assert.IsType<LoginUnavailable>(await auth.LoginAsync("seas", "summerisover", Guesser));
        Assert.IsType<LoginUnavailable>(await auth.LoginAsync("seas", "summerisover", Owner));
        Assert.Equal(102, core.Events.OfType<LoginCheckFailed>().Count());
        Assert.Empty(core.Events.OfType<LoginSucceeded>());
    }

    [Fact]
    public async Task After_a_store_failure_the_right_password_needs_a_real_write_not_a_delete_of_nothing()
    {
        var store = new BreakableLockoutStore { BrokenInserts = true };
        using var core = CoreHarness.Create(services: s => s.AddSingleton<ILockoutStore>(store));
        var auth = core.Get<IAuthService>();
        for (var i = 0; i < 10; i++)
        {
            Assert.IsType<LoginUnavailable>(await auth.LoginAsync("seas", "guess" + i, Guesser));
        }

        Assert.IsType<LoginUnavailable>(await auth.LoginAsync("seas", "summerisover", Guesser));

        store.BrokenInserts = false;
        Assert.Equal(new LoginSuccess("seas"), await auth.LoginAsync("seas", "summerisover", Guesser));
        Assert.Equal(0, await store.CountAsync());
    }

    [Fact]
    public async Task A_store_that_cannot_be_read_refuses_the_login()
    {
        var store = new BreakableLockoutStore { BrokenReads = true };
        using var core = CoreHarness.Create(services: s => s.AddSingleton<ILockoutStore>(store));

        Assert.IsType<LoginUnavailable>(await core.Get<IAuthService>().LoginAsync("seas", "summerisover", Owner));
    }

    [Fact]
    public async Task Once_the_store_writes_again_logins_work_and_failures_count()
    {
        var store = new BreakableLockoutStore { Broken = true };
        using var core = CoreHarness.Create(services: s => s.AddSingleton<ILockoutStore>(store));
        var auth = core.Get<IAuthService>();
        await auth.LoginAsync("seas", "x", Owner);

        store.Broken = false;

        Assert.Equal(new LoginSuccess("seas"), await auth.LoginAsync("seas", "summerisover", Owner));
        Assert.Equal(new LoginInvalid(2), await auth.LoginAsync("seas", "x", Owner));
    }

    [Fact]
    public async Task A_guesser_relocking_the_name_from_one_address_never_keeps_the_owner_out()
    {
        // The attack: three wrong passwords from X each time the lock expires, 40 times over; the owner logs in
        // from Y right after each round, the worst moment, and at most waits out one slowdown.
        using var core = CoreHarness.Create();
        var auth = core.Get<IAuthService>();
        var options = new ChatRoomOptions();
        for (var round = 0; round < 40; round++)
        {
            for (var guess = 0; guess < 3; guess++)
            {
                var result = await auth.LoginAsync("seas", "guess", Guesser);
                if (result is LoginRetryLater later)
                {
                    core.Time.Advance(later.RetryAfter);
                    result = await auth.LoginAsync("seas", "guess", Guesser);
                }

                Assert.IsNotType<LoginSuccess>(result);
            }

            var owner = await auth.LoginAsync("seas", "summerisover", Owner);
            if (owner is LoginRetryLater wait)
            {
                Assert.True(wait.RetryAfter <= options.AccountSlowdown, $"round {round}: told to wait {wait.RetryAfter}");
                core.Time.Advance(wait.RetryAfter);
                owner = await auth.LoginAsync("seas", "summerisover", Owner);
            }

            Assert.Equal(new LoginSuccess("seas"), owner);
            core.Time.Advance(options.LockoutDuration);
        }
    }

    [Fact]
    public async Task Failures_from_many_addresses_slow_the_name_down_for_those_addresses_instead_of_locking_it()
    {
        using var core = CoreHarness.Create(o => o.AccountSlowdownAfter = 4);
        var auth = core.Get<IAuthService>();
        for (var i = 1; i <= 4; i++)
        {
            Assert.IsType<LoginInvalid>(await auth.LoginAsync("seas", "x", $"10.9.0.{i}"));
        }

        Assert.Equal(new LoginRetryLater(TimeSpan.FromSeconds(3)), await auth.LoginAsync("seas", "guess", "10.9.0.1"));
        Assert.Equal(new LoginRetryLater(TimeSpan.FromSeconds(3)), await auth.LoginAsync("seas", "summerisover", "10.9.0.2"));
        Assert.Single(core.Events.OfType<LoginSlowedDown>(), e => e.RemoteAddress == "10.9.0.2");

        // The owner's own address has not failed for the name: checked at once.
        Assert.Equal(new LoginSuccess("seas"), await auth.LoginAsync("seas", "summerisover", Owner));

        core.Time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(new LoginSuccess("seas"), await auth.LoginAsync("seas", "summerisover", "10.9.0.2"));
    }

    [Fact]
    public async Task Each_failure_past_the_threshold_slows_the_name_again_and_a_quiet_window_ends_it()
    {
        using var core = CoreHarness.Create(o => o.AccountSlowdownAfter = 2);
        var auth = core.Get<IAuthService>();
        await auth.LoginAsync("seas", "x", "10.9.0.1");
        await auth.LoginAsync("seas", "x", "10.9.0.2");
        core.Time.Advance(TimeSpan.FromSeconds(3));

        Assert.IsType<LoginInvalid>(await auth.LoginAsync("seas", "x", "10.9.0.1"));
        Assert.IsType<LoginRetryLater>(await auth.LoginAsync("seas", "x", "10.9.0.2"));

        core.Time.Advance(new ChatRoomOptions().FailedLoginWindow);

        Assert.IsType<LoginInvalid>(await auth.LoginAsync("seas", "x", "10.9.0.1"));
        Assert.IsType<LoginInvalid>(await auth.LoginAsync("seas", "x", "10.9.0.2"));
    }

    [Fact]
    public async Task Guessing_a_name_from_200_addresses_never_slows_the_owner_from_a_clean_address()
    {
        // The tester's attack: 200 addresses guess the name every second for 40 s; the owner logs in after each second.
        using var core = CoreHarness.Create();
        var auth = core.Get<IAuthService>();
        var options = new ChatRoomOptions();
        var failed = new HashSet<string>(StringComparer.Ordinal);
        var locked = new HashSet<string>(StringComparer.Ordinal);
        var slowedFromFailed = 0;
        var invalid = 0;
        for (var second = 0; second < 40; second++)
        {
            for (var a = 0; a < 200; a++)
            {
                var address = $"10.7.{a / 100}.{a % 100}";
                var result = await auth.LoginAsync("seas", "guess" + second, address);
                switch (result)
                {
                    case LoginRetryLater:
                        Assert.Contains(address, failed);
                        slowedFromFailed++;
                        break;
                    case LoginInvalid:
                        invalid++;
                        failed.Add(address);
                        break;
                    case LoginLocked:
                        locked.Add(address);
                        failed.Add(address);
                        break;
                    default:
                        Assert.Fail($"{address}: {result}");
                        break;
                }
            }

            Assert.Equal(new LoginSuccess("seas"), await auth.LoginAsync("seas", "summerisover", Owner));
            core.Time.Advance(TimeSpan.FromSeconds(1));
        }

        // One lock per address in 40 s (it lasts 60 s): the guesses checked are the failures before it and the one that set it.
        var guessesChecked = invalid + locked.Count;
        Assert.Equal(200, failed.Count);
        Assert.True(slowedFromFailed > 0, "no guess from a failed address was slowed down");
        Assert.True(guessesChecked <= 200 * options.MaxFailedLogins, $"{guessesChecked} guesses checked");
        Assert.DoesNotContain(core.Events.OfType<LoginSlowedDown>(), e => e.RemoteAddress == Owner);
    }

    [Fact]
    public async Task An_address_that_fails_too_often_is_refused_for_every_name_and_only_that_address()
    {
        using var core = CoreHarness.Create(o => o.MaxFailedLoginsPerAddress = 5);
        var auth = core.Get<IAuthService>();
        for (var i = 1; i < 5; i++)
        {
            Assert.IsType<LoginInvalid>(await auth.LoginAsync("made-up" + i, "x", Guesser));
        }

        var window = new ChatRoomOptions().FailedLoginWindow;
        Assert.Equal(new LoginAddressLocked(window), await auth.LoginAsync("made-up5", "x", Guesser));
        Assert.Equal(new LoginAddressLocked(window), await auth.LoginAsync("seas", "summerisover", Guesser));
        Assert.Equal(new LoginSuccess("seas"), await auth.LoginAsync("seas", "summerisover", Owner));
        Assert.Single(core.Events.OfType<AddressLockedOut>(), e => e.Started);

        core.Time.Advance(window);

        Assert.Equal(new LoginSuccess("seas"), await auth.LoginAsync("seas", "summerisover", Guesser));
    }

    [Fact]
    public async Task Successful_logins_never_count_against_the_address_limit()
    {
        using var core = CoreHarness.Create(o => o.MaxFailedLoginsPerAddress = 1);
        var auth = core.Get<IAuthService>();

        for (var i = 0; i < 1000; i++)
        {
            Assert.IsType<LoginSuccess>(await auth.LoginAsync("seas", "summerisover", Owner));
        }
    }

    [Fact]
    public async Task Ten_thousand_made_up_names_from_one_address_leave_a_bounded_number_of_records_and_none_after_the_window()
    {
        var store = new InMemoryLockoutStore();
        using var core = CoreHarness.Create(services: s => s.AddSingleton<ILockoutStore>(store));
        var auth = core.Get<IAuthService>();
        var options = new ChatRoomOptions();

        for (var i = 0; i < 10_000; i++)
        {
            await auth.LoginAsync("made-up" + i, "x", Guesser);
        }

        // One name and one slowdown record per counted failure, and the address: the rest were refused uncounted.
        Assert.Equal((2 * options.MaxFailedLoginsPerAddress) + 1, store.Count);
        Assert.Single(core.Events.OfType<AddressLockedOut>(), e => e.Started);

        core.Time.Advance(options.FailedLoginWindow);
        await auth.LoginAsync("seas", "summerisover", Owner);

        Assert.Equal(0, store.Count);
        Assert.Single(core.Events.OfType<LockoutsPurged>());
    }

    [Fact]
    public async Task Ten_thousand_made_up_names_from_ten_thousand_addresses_leave_no_records_after_the_window()
    {
        var store = new InMemoryLockoutStore();
        using var core = CoreHarness.Create(services: s => s.AddSingleton<ILockoutStore>(store));
        var auth = core.Get<IAuthService>();

        for (var i = 0; i < 10_000; i++)
        {
            Assert.IsType<LoginInvalid>(await auth.LoginAsync("made-up" + i, "x", $"10.{i / 250}.{i % 250}.1"));
        }

        Assert.Equal(30_000, store.Count);
        core.Time.Advance(new ChatRoomOptions().FailedLoginWindow);
        await auth.LoginAsync("seas", "summerisover", Owner);

        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task A_purge_keeps_a_lock_that_is_still_running()
    {
        var store = new InMemoryLockoutStore();
        using var core = CoreHarness.Create(o => o.LockoutDuration = TimeSpan.FromHours(1), s => s.AddSingleton<ILockoutStore>(store));
        var auth = core.Get<IAuthService>();
        for (var i = 0; i < 3; i++)
        {
            await auth.LoginAsync("seas", "x", Guesser);
        }

        core.Time.Advance(new ChatRoomOptions().FailedLoginWindow);
        await auth.LoginAsync("seas", "summerisover", Owner);

        Assert.IsType<LoginLocked>(await auth.LoginAsync("seas", "summerisover", Guesser));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public async Task Password_checks_run_no_more_at_once_than_the_limit()
    {
        var credentials = new GatedCredentials();
        using var core = CoreHarness.Create(o => o.MaxConcurrentPasswordChecks = 2, s => s.AddSingleton<ICredentialSource>(credentials));
        var auth = core.Get<IAuthService>();

        var logins = Enumerable.Range(0, 6).Select(i => auth.LoginAsync("seas", "summerisover", $"10.0.1.{i}").AsTask()).ToList();
        await credentials.WaitForRunningAsync(2);

        // Every login ran synchronously up to its check, so without the limit all six would be running by now.
        Assert.Equal(2, credentials.Running);
        credentials.Open();
        Assert.All(await Task.WhenAll(logins), r => Assert.IsType<LoginSuccess>(r));
        Assert.Equal(2, credentials.MostAtOnce);
    }

    [Fact]
    public async Task An_attempt_beyond_the_pending_limit_of_its_address_is_told_to_retry_at_once_unchecked_and_uncounted()
    {
        var credentials = new GatedCredentials();
        using var core = CoreHarness.Create(
            o => { o.MaxPendingLoginsPerAddress = 4; o.MaxConcurrentPasswordChecks = 1; },
            s => s.AddSingleton<ICredentialSource>(credentials));
        var auth = core.Get<IAuthService>();

        var held = Enumerable.Range(0, 4).Select(i => auth.LoginAsync("seas", "summerisover", Guesser).AsTask()).ToList();
        await credentials.WaitForRunningAsync(1);
        var extra = auth.LoginAsync("seas", "wrong", Guesser).AsTask();

        // Answered without waiting for the gate: the four before it are still queued or running.
        Assert.True(extra.IsCompleted, "the extra attempt waited in the queue");
        Assert.Equal(new LoginRetryLater(TimeSpan.FromSeconds(1)), await extra);

        // Another address still gets its check queued.
        var other = auth.LoginAsync("seas", "summerisover", Owner).AsTask();
        Assert.False(other.IsCompleted);

        credentials.Open();
        Assert.All(await Task.WhenAll(held), r => Assert.IsType<LoginSuccess>(r));
        Assert.Equal(new LoginSuccess("seas"), await other);
        Assert.Equal(5, credentials.Calls);

        // The refused wrong password was not counted: the name has its full three tries from this address.
        Assert.Equal(new LoginInvalid(2), await auth.LoginAsync("seas", "wrong", Guesser));
    }

    [Fact]
    public async Task Cheap_checks_are_neither_queued_nor_shared_out_so_a_burst_from_one_address_all_gets_in()
    {
        // Hundreds of clients behind one address logging in at once with plaintext credentials (a load test, a NAT).
        var credentials = new GatedCredentials(costly: false);
        using var core = CoreHarness.Create(
            o => { o.MaxPendingLoginsPerAddress = 1; o.MaxConcurrentPasswordChecks = 1; },
            s => s.AddSingleton<ICredentialSource>(credentials));
        var auth = core.Get<IAuthService>();

        var burst = Enumerable.Range(0, 20).Select(i => auth.LoginAsync("seas", "summerisover", Guesser).AsTask()).ToList();
        await credentials.WaitForRunningAsync(20);
        Assert.Equal(20, credentials.MostAtOnce);

        credentials.Open();
        Assert.All(await Task.WhenAll(burst), r => Assert.IsType<LoginSuccess>(r));
    }

    [Fact]
    public async Task A_flood_from_one_address_cannot_queue_in_front_of_another_address()
    {
        var credentials = new GatedCredentials();
        using var core = CoreHarness.Create(
            o => { o.MaxPendingLoginsPerAddress = 16; o.MaxConcurrentPasswordChecks = 1; },
            s => s.AddSingleton<ICredentialSource>(credentials));
        var auth = core.Get<IAuthService>();

        var flood = Enumerable.Range(0, 600).Select(i => auth.LoginAsync("made-up" + i, "x", Guesser).AsTask()).ToList();
        var owner = auth.LoginAsync("seas", "summerisover", Owner).AsTask();

        Assert.Equal(600 - 16, flood.Count(t => t.IsCompleted));
        Assert.All(flood.Where(t => t.IsCompleted), t => Assert.Equal(new LoginRetryLater(TimeSpan.FromSeconds(1)), t.Result));

        // Only the address's 16 and the owner's were ever checked, so the owner waited behind at most 16 checks, not 600.
        credentials.Open();
        Assert.Equal(new LoginSuccess("seas"), await owner);
        await Task.WhenAll(flood);
        Assert.Equal(17, credentials.Calls);
    }

    [Fact]
    public async Task Simultaneous_wrong_logins_from_one_address_overshoot_its_failure_limit_by_less_than_the_pending_limit()
    {
        var credentials = new GatedCredentials();
        using var core = CoreHarness.Create(
            o => { o.MaxFailedLoginsPerAddress = 50; o.MaxPendingLoginsPerAddress = 16; o.MaxConcurrentPasswordChecks = 64; },
            s => s.AddSingleton<ICredentialSource>(credentials));
        var auth = core.Get<IAuthService>();

        // The tester's attack in waves: 300 wrong logins at once, again as soon as they are answered, until locked out.
        for (var wave = 0; wave < 20; wave++)
        {
            var logins = Enumerable.Range(0, 300).Select(i => auth.LoginAsync($"made-up{wave}-{i}", "x", Guesser).AsTask()).ToList();
            var inFlight = logins.Count(t => !t.IsCompleted);
            Assert.True(inFlight <= 16, $"{inFlight} checks in flight from one address");
            await credentials.WaitForRunningAsync(inFlight);
            credentials.OpenWave();
            var results = await Task.WhenAll(logins);
            if (results.All(r => r is LoginAddressLocked))
            {
                break;
            }
        }

        Assert.Single(core.Events.OfType<AddressLockedOut>(), e => e.Started);
        Assert.IsType<LoginAddressLocked>(await auth.LoginAsync("seas", "summerisover", Guesser));
        Assert.True(credentials.Calls <= 50 + 16 - 1, $"{credentials.Calls} guesses checked for a limit of 50");
        Assert.True(credentials.Calls >= 50);
    }

    /// <summary>An in-memory lockout store whose reads or writes can be made to fail, as a full disk makes them.</summary>
    private sealed class BreakableLockoutStore : ILockoutStore
    {
        private readonly InMemoryLockoutStore _inner = new();

        public bool Broken { get; set; }

        public bool BrokenReads { get; set; }

        /// <summary>Only writes that add a row fail: removing what is not there writes nothing, and passes even on a full disk.</summary>
        public bool BrokenInserts { get; set; }

        public ValueTask<LockoutState> GetAsync(string user, CancellationToken cancellationToken = default)
            => BrokenReads ? throw Failure() : _inner.GetAsync(user, cancellationToken);

        public ValueTask<bool> TryUpdateAsync(string user, LockoutState expected, LockoutState next, CancellationToken cancellationToken = default)
            => Broken || (BrokenInserts && next != LockoutState.Clear) ? throw Failure() : _inner.TryUpdateAsync(user, expected, next, cancellationToken);

        public ValueTask<int> PurgeAsync(DateTimeOffset failedBefore, DateTimeOffset now, CancellationToken cancellationToken = default)
            => Broken ? throw Failure() : _inner.PurgeAsync(failedBefore, now, cancellationToken);

        public Task<int> CountAsync() => Task.FromResult(_inner.Count);

        private static ChatStoreException Failure() => new("lockouts.db", "could not store: database or disk is full");
    }

    /// <summary>Credentials whose checks wait at a gate, counting how many run at once. "summerisover" is right for every name.</summary>
    private sealed class GatedCredentials(bool costly = true) : ICredentialSource, ICostlyCredentialSource
    {
        public bool ChecksAreCostly => costly;

        private readonly SemaphoreSlim _started = new(0);
        private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _opened;
        private int _running;
        private int _most;
        private int _calls;

        public int Running => Volatile.Read(ref _running);

        public int MostAtOnce => Volatile.Read(ref _most);

        public int Calls => Volatile.Read(ref _calls);

        /// <summary>Lets every check through, now and later.</summary>
        public void Open()
        {
            _opened = true;
            Volatile.Read(ref _gate).TrySetResult();
        }

        /// <summary>Lets the checks waiting now through; later checks wait at a new gate.</summary>
        public void OpenWave() => Interlocked.Exchange(ref _gate, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

        public async Task WaitForRunningAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Assert.True(await _started.WaitAsync(TimeSpan.FromSeconds(10)), "password checks did not start");
            }
        }

        public ValueTask<bool> ExistsAsync(string userName, CancellationToken cancellationToken = default) => ValueTask.FromResult(true);

        public async ValueTask<bool> VerifyAsync(string userName, string password, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            var running = Interlocked.Increment(ref _running);
            InterlockedMax(ref _most, running);
            var gate = Volatile.Read(ref _gate);
            _started.Release();
            if (!_opened)
            {
                await gate.Task;
            }
            Interlocked.Decrement(ref _running);
            return password == "summerisover";
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }
}
