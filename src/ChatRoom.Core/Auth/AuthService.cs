using System.Collections.Concurrent;
using ChatRoom.Events;
using Microsoft.Extensions.Options;

namespace ChatRoom.Auth;

/// <summary>
/// Checks credentials under three counts kept in the <see cref="ILockoutStore"/>: a name from one address (locks after
/// <see cref="ChatRoomOptions.MaxFailedLogins"/>), an address over every name (locks after
/// <see cref="ChatRoomOptions.MaxFailedLoginsPerAddress"/>) and a name from every address (slows down after
/// <see cref="ChatRoomOptions.AccountSlowdownAfter"/>, for addresses that have failed for it). Any store failure refuses
/// the attempt (fail closed). Password checks in flight are bounded per address (<see cref="ChatRoomOptions.MaxPendingLoginsPerAddress"/>)
/// and overall (<see cref="ChatRoomOptions.MaxConcurrentPasswordChecks"/>).
/// </summary>
internal sealed class AuthService : IAuthService, IDisposable
{
    private readonly ICredentialSource _credentials;
    private readonly ILockoutStore _lockouts;
    private readonly TimeProvider _time;
    private readonly ChatEventPublisher _events;
    private readonly IOptionsMonitor<ChatRoomOptions> _options;

    // Password checks may cost 0.3 s of CPU each (PBKDF2); a bounded number run at once so a login flood cannot take every core.
    private readonly SemaphoreSlim _checks;

    // Checks waiting or running per address (entries removed at zero): one address cannot fill the queue in front of
    // everyone else, nor have more guesses in flight than this past its failure limit (counted only after the check).
    private readonly ConcurrentDictionary<string, int> _pending = new(StringComparer.Ordinal);

    /// <summary>What an attempt beyond <see cref="ChatRoomOptions.MaxPendingLoginsPerAddress"/> is told to wait.</summary>
    internal static readonly TimeSpan PendingRetryAfter = TimeSpan.FromSeconds(1);

    // Set when the store failed; until a write succeeds again, a login needs a successful write to succeed, because the
    // failures that could not be written would otherwise be forgotten and the right password let in.
    private int _storeFailing;
    private long _nextPurgeTicks;

    public AuthService(ICredentialSource credentials, ILockoutStore lockouts, TimeProvider time, ChatEventPublisher events, IOptionsMonitor<ChatRoomOptions> options)
    {
        _credentials = credentials;
        _lockouts = lockouts;
        _time = time;
        _events = events;
        _options = options;
        _checks = new SemaphoreSlim(options.CurrentValue.MaxConcurrentPasswordChecks);
        _nextPurgeTicks = (time.GetUtcNow() + options.CurrentValue.FailedLoginWindow).UtcTicks;
    }

    public async ValueTask<LoginResult> LoginAsync(string user, string password, string remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(remoteAddress);
        user = user.Trim();
        password = password.Trim();
        var options = _options.CurrentValue;
        LoginResult result;
        try
        {
            result = await AttemptAsync(user, password, remoteAddress, options, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Fail closed: whatever the store or credential source throws, the attempt cannot be counted, so it is refused.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Failed(user, remoteAddress, ex);
            return new LoginUnavailable();
        }

        try
        {
            await PurgeIfDueAsync(options, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A purge that fails leaves idle rows for the next one; the attempt's outcome stands.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Failed(user, remoteAddress, ex);
        }

        return result;
    }

    public void Dispose() => _checks.Dispose();

    private void Failed(string user, string remoteAddress, Exception error)
    {
        Volatile.Write(ref _storeFailing, 1);
        _events.Publish(new LoginCheckFailed(_time.GetUtcNow(), user, remoteAddress, error));
    }

    private async ValueTask<LoginResult> AttemptAsync(string user, string password, string remoteAddress, ChatRoomOptions options, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var addressKey = LockoutKeys.Address(remoteAddress);
        var nameKey = LockoutKeys.NameFromAddress(user, remoteAddress);
        var accountKey = LockoutKeys.Name(user);

        // Refusals come before the password check: they cost nothing and tell nothing about the password.
        if (LockedFor(await _lockouts.GetAsync(addressKey, cancellationToken).ConfigureAwait(false), now) is { } addressLeft)
        {
            _events.Publish(new AddressLockedOut(now, user, remoteAddress, addressLeft, Started: false));
            return new LoginAddressLocked(addressLeft);
        }

        var nameState = await _lockouts.GetAsync(nameKey, cancellationToken).ConfigureAwait(false);
        if (LockedFor(nameState, now) is { } nameLeft)
        {
            _events.Publish(new LoginLockedOut(now, user, remoteAddress, nameLeft));
            return new LoginLocked(nameLeft);
        }

        // The name's slowdown holds back only addresses that have failed for it within the window: the owner from a
        // clean address is checked at once, and each guessing address still locks after MaxFailedLogins.
        if (nameState.LastFailure is { } lastFailure && now - lastFailure < options.FailedLoginWindow
            && LockedFor(await _lockouts.GetAsync(accountKey, cancellationToken).ConfigureAwait(false), now) is { } retryAfter)
        {
            _events.Publish(new LoginSlowedDown(now, user, remoteAddress, retryAfter));
            return new LoginRetryLater(retryAfter);
        }

        // Cheap checks (plaintext digests) are done at once: a burst of logins from one address (hundreds of clients
        // behind one NAT, a load test) must not be turned away. Costly ones (PBKDF2) queue, a share per address.
        var costly = _credentials is not ICostlyCredentialSource { ChecksAreCostly: false };
        if (costly && !TryEnterPending(addressKey, options.MaxPendingLoginsPerAddress))
        {
            // Not checked and not counted: the address already has its share of checks in flight.
            _events.Publish(new LoginSlowedDown(now, user, remoteAddress, PendingRetryAfter));
            return new LoginRetryLater(PendingRetryAfter);
        }

        try
        {
            bool valid;
            if (costly)
            {
                await _checks.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                valid = UserNames.IsValid(user) && await _credentials.VerifyAsync(user, password, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (costly)
                {
                    _checks.Release();
                }
            }

            // The check may have waited its turn; the counts are taken at the time it was decided.
            now = _time.GetUtcNow();
            return valid
                ? await SucceedAsync(user, remoteAddress, nameKey, nameState, now, cancellationToken).ConfigureAwait(false)
                : await FailAsync(user, remoteAddress, nameKey, nameState, addressKey, accountKey, options, now, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (costly)
            {
                ExitPending(addressKey);
            }
        }
    }

    private bool TryEnterPending(string addressKey, int limit)
    {
        while (true)
        {
            if (_pending.TryGetValue(addressKey, out var count))
            {
                if (count >= limit)
                {
                    return false;
                }

                if (_pending.TryUpdate(addressKey, count + 1, count))
                {
                    return true;
                }
            }
            else if (_pending.TryAdd(addressKey, 1))
            {
                return true;
            }
        }
    }

    private void ExitPending(string addressKey)
    {
        while (true)
        {
            var count = _pending[addressKey];
            if (_pending.TryUpdate(addressKey, count - 1, count))
            {
                if (count == 1)
                {
                    // Removed only if still zero: an attempt that entered meanwhile keeps its entry.
                    _pending.TryRemove(new KeyValuePair<string, int>(addressKey, 0));
                }

                return;
            }
        }
    }

    private async ValueTask<LoginResult> SucceedAsync(string user, string remoteAddress, string nameKey, LockoutState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Compare-and-swap loop: a concurrent attempt on the same key makes us re-read rather than lose its count.
        while (state != LockoutState.Clear || Volatile.Read(ref _storeFailing) != 0)
        {
            // After a store failure, success must prove the store writes again: a row is written and removed (a delete
            // of nothing writes nothing, and would pass on a full disk).
            var probe = Volatile.Read(ref _storeFailing) != 0 ? new LockoutState(0, null, now) : LockoutState.Clear;
            if (await _lockouts.TryUpdateAsync(nameKey, state, probe, cancellationToken).ConfigureAwait(false)
                && (probe == LockoutState.Clear || await _lockouts.TryUpdateAsync(nameKey, probe, LockoutState.Clear, cancellationToken).ConfigureAwait(false)))
            {
                Volatile.Write(ref _storeFailing, 0);
                break;
            }

            state = await _lockouts.GetAsync(nameKey, cancellationToken).ConfigureAwait(false);
            if (LockedFor(state, now) is { } left)
            {
                _events.Publish(new LoginLockedOut(now, user, remoteAddress, left));
                return new LoginLocked(left);
            }
        }

        _events.Publish(new LoginSucceeded(now, user, remoteAddress));
        return new LoginSuccess(user);
    }

    private async ValueTask<LoginResult> FailAsync(
        string user, string remoteAddress, string nameKey, LockoutState nameState, string addressKey, string accountKey, ChatRoomOptions options, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var window = options.FailedLoginWindow;

        // The course rule, for this address only: the Nth consecutive failure locks the name for the block time.
        LockoutState next;
        while (true)
        {
            var failures = Counted(nameState, now, window) + 1;
            next = failures >= options.MaxFailedLogins
                ? new LockoutState(0, now + options.LockoutDuration, now)
                : new LockoutState(failures, null, now);
            if (await _lockouts.TryUpdateAsync(nameKey, nameState, next, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            nameState = await _lockouts.GetAsync(nameKey, cancellationToken).ConfigureAwait(false);
            if (LockedFor(nameState, now) is { } left)
            {
                _events.Publish(new LoginLockedOut(now, user, remoteAddress, left));
                return new LoginLocked(left);
            }
        }

        // Every address together: past the threshold each failure slows the name down a little instead of locking it.
        await UpdateAsync(accountKey, state =>
        {
            var failures = Counted(state, now, window) + 1;
            return new LockoutState(failures, failures >= options.AccountSlowdownAfter ? now + options.AccountSlowdown : null, now);
        }, cancellationToken).ConfigureAwait(false);

        // Every name from this address together.
        var startedAddressLock = false;
        var address = await UpdateAsync(addressKey, state =>
        {
            // A failure decided after the address locked (its check was in flight) leaves the lock running as it is.
            startedAddressLock = false;
            if (LockedFor(state, now) is not null)
            {
                return state;
            }

            var failures = Counted(state, now, window) + 1;
            startedAddressLock = failures >= options.MaxFailedLoginsPerAddress;
            return startedAddressLock ? new LockoutState(0, now + window, now) : new LockoutState(failures, null, now);
        }, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _storeFailing, 0);

        if (next.LockedUntil is not null)
        {
            _events.Publish(new LoginLockedOut(now, user, remoteAddress, options.LockoutDuration));
            return new LoginLocked(options.LockoutDuration);
        }

        if (LockedFor(address, now) is { } addressLeft)
        {
            _events.Publish(new AddressLockedOut(now, user, remoteAddress, addressLeft, Started: startedAddressLock));
            return new LoginAddressLocked(addressLeft);
        }

        var attemptsLeft = options.MaxFailedLogins - next.Failures;
        _events.Publish(new LoginFailed(now, user, remoteAddress, attemptsLeft));
        return new LoginInvalid(attemptsLeft);
    }

    private async ValueTask<LockoutState> UpdateAsync(string key, Func<LockoutState, LockoutState> change, CancellationToken cancellationToken)
    {
        while (true)
        {
            var state = await _lockouts.GetAsync(key, cancellationToken).ConfigureAwait(false);
            var next = change(state);
            if (await _lockouts.TryUpdateAsync(key, state, next, cancellationToken).ConfigureAwait(false))
            {
                return next;
            }
        }
    }

    private async ValueTask PurgeIfDueAsync(ChatRoomOptions options, CancellationToken cancellationToken)
    {
        // At most one purge per window, run by whichever attempt finds it due.
        var now = _time.GetUtcNow();
        var due = Interlocked.Read(ref _nextPurgeTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextPurgeTicks, (now + options.FailedLoginWindow).UtcTicks, due) != due)
        {
            return;
        }

        var removed = await _lockouts.PurgeAsync(now - options.FailedLoginWindow, now, cancellationToken).ConfigureAwait(false);
        if (removed > 0)
        {
            _events.Publish(new LockoutsPurged(now, removed));
        }
    }

    /// <summary>Failures that still count: none once a lock has been set (it starts the count again) or after a quiet window.</summary>
    private static int Counted(LockoutState state, DateTimeOffset now, TimeSpan window)
        => state.LastFailure is { } last && now - last >= window ? 0 : state.Failures;

    private static TimeSpan? LockedFor(LockoutState state, DateTimeOffset now)
        => state.LockedUntil is { } until && now < until ? until - now : null;
}
