namespace ChatRoom.Server;

/// <summary>
/// Keeps a store outage from flooding the log: every command fails the same way while the store is away (thousands a
/// second under load), so the first failure is logged with its exception, then at most one line per interval saying how
/// many more failed.
/// </summary>
internal sealed class StoreFailureLog(TimeProvider time)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private readonly Lock _gate = new();
    private long _loggedAt;
    private bool _logged;
    private int _unlogged;

    /// <summary>Whether to log this failure in full; when not, it is counted. <paramref name="unlogged"/> says how many were counted since the last logged one.</summary>
    public bool ShouldLog(out int unlogged)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (_logged && time.GetElapsedTime(_loggedAt, now) < Interval)
            {
                _unlogged++;
                unlogged = 0;
                return false;
            }

            unlogged = _unlogged;
            _unlogged = 0;
            _loggedAt = now;
            _logged = true;
            return true;
        }
    }
}
