using ChatRoom.Events;
using Microsoft.Extensions.Options;

namespace ChatRoom.Auth;

internal sealed class AuthService : IAuthService
{
    private readonly ICredentialSource _credentials;
    private readonly ILockoutStore _lockouts;
    private readonly TimeProvider _time;
    private readonly ChatEventPublisher _events;
    private readonly IOptionsMonitor<ChatRoomOptions> _options;

    public AuthService(ICredentialSource credentials, ILockoutStore lockouts, TimeProvider time, ChatEventPublisher events, IOptionsMonitor<ChatRoomOptions> options)
    {
        _credentials = credentials;
        _lockouts = lockouts;
        _time = time;
        _events = events;
        _options = options;
    }

    public async ValueTask<LoginResult> LoginAsync(string user, string password, string remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        user = user.Trim();
        password = password.Trim();
        var options = _options.CurrentValue;
        var valid = UserNames.IsValid(user) && await _credentials.VerifyAsync(user, password, cancellationToken).ConfigureAwait(false);

        // Compare-and-swap loop: a concurrent attempt on the same name makes us re-read rather than lose its count.
        while (true)
        {
            var now = _time.GetUtcNow();
            var state = await _lockouts.GetAsync(user, cancellationToken).ConfigureAwait(false);
            if (state.LockedUntil is { } until && now < until)
            {
                _events.Publish(new LoginLockedOut(now, user, remoteAddress, until - now));
                return new LoginLocked(until - now);
            }

            // A lock that has run out counts as a clean slate.
            var failures = state.LockedUntil is null ? state.Failures : 0;
            if (valid)
            {
                if (state == LockoutState.Clear || await _lockouts.TryUpdateAsync(user, state, LockoutState.Clear, cancellationToken).ConfigureAwait(false))
                {
                    _events.Publish(new LoginSucceeded(now, user, remoteAddress));
                    return new LoginSuccess(user);
                }

                continue;
            }

            failures++;
            var next = failures >= options.MaxFailedLogins
                ? new LockoutState(0, now + options.LockoutDuration)
                : new LockoutState(failures, null);
            if (!await _lockouts.TryUpdateAsync(user, state, next, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            if (next.LockedUntil is not null)
            {
                _events.Publish(new LoginLockedOut(now, user, remoteAddress, options.LockoutDuration));
                return new LoginLocked(options.LockoutDuration);
            }

            var left = options.MaxFailedLogins - failures;
            _events.Publish(new LoginFailed(now, user, remoteAddress, left));
            return new LoginInvalid(left);
        }
    }
}
