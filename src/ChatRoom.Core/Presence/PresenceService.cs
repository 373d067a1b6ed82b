using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace ChatRoom.Presence;

/// <summary>In-process presence: one lock-free map from user to session.</summary>
internal sealed class PresenceService : IPresenceService
{
    private readonly ConcurrentDictionary<string, SessionInfo> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<ChatRoomOptions> _options;

    public PresenceService(TimeProvider time, IOptionsMonitor<ChatRoomOptions> options)
    {
        _time = time;
        _options = options;
    }

    public ValueTask<PresenceLogin> LoginAsync(SessionInfo session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        SessionInfo? displaced = null;
        _sessions.AddOrUpdate(
            session.User,
            static (_, s) => s,
            (_, previous, s) =>
            {
                displaced = previous;
                return s;
            },
            session);
        return ValueTask.FromResult(new PresenceLogin(session, displaced));
    }

    public ValueTask<bool> HeartbeatAsync(SessionId session, string user, CancellationToken cancellationToken = default)
    {
        while (_sessions.TryGetValue(user, out var current) && current.Id == session)
        {
            if (_sessions.TryUpdate(user, current with { LastHeartbeat = _time.GetUtcNow() }, current))
            {
                return ValueTask.FromResult(true);
            }
        }

        return ValueTask.FromResult(false);
    }

    public ValueTask<SessionInfo?> LogoutAsync(SessionId session, string user, LogoutReason reason, CancellationToken cancellationToken = default)
    {
        while (_sessions.TryGetValue(user, out var current) && current.Id == session)
        {
            if (_sessions.TryRemove(new KeyValuePair<string, SessionInfo>(user, current)))
            {
                return ValueTask.FromResult<SessionInfo?>(current);
            }
        }

        return ValueTask.FromResult<SessionInfo?>(null);
    }

    public ValueTask<SessionInfo?> FindAsync(string user, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(_sessions.TryGetValue(user, out var s) ? s : null);

    public ValueTask<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default)
        => ValueTask.FromResult<IReadOnlyList<SessionInfo>>([.. _sessions.Values]);

    public ValueTask<IReadOnlyList<SessionInfo>> SweepAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var timeout = _options.CurrentValue.HeartbeatTimeout;
        List<SessionInfo>? expired = null;
        foreach (var (user, session) in _sessions)
        {
            // Exactly at the timeout is still alive: only strictly older heartbeats expire.
            if (now - session.LastHeartbeat > timeout
                && _sessions.TryRemove(new KeyValuePair<string, SessionInfo>(user, session)))
            {
                (expired ??= []).Add(session);
            }
        }

        return ValueTask.FromResult<IReadOnlyList<SessionInfo>>(expired ?? []);
    }
}
