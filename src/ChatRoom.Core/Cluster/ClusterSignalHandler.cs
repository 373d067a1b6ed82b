using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Cluster;

/// <summary>Carries out on this node what the others signal: each signal reaches only the sessions held here.</summary>
internal sealed class ClusterSignalHandler : IClusterSignalHandler
{
    private readonly SessionRegistry _registry;
    private readonly SessionManager _sessions;
    private readonly MessageRouter _router;

    public ClusterSignalHandler(SessionRegistry registry, SessionManager sessions, MessageRouter router)
    {
        _registry = registry;
        _sessions = sessions;
        _router = router;
    }

    public async ValueTask HandleAsync(ClusterSignal signal, CancellationToken cancellationToken = default)
    {
        switch (signal)
        {
            case DeliverSignal deliver:
                // A session that moved on meanwhile finds the message in the store at its next start.
                _registry.FindUser(deliver.User)?.Offer(deliver.Message);
                break;
            case BroadcastSignal broadcast:
                await _router.PostBroadcastHereAsync(broadcast.Message, cancellationToken).ConfigureAwait(false);
                break;
            case PresenceSignal presence:
                await _sessions.AnnounceHereAsync(presence.User, cancellationToken).ConfigureAwait(false);
                break;
            case SessionEndedSignal ended:
                _sessions.EndedElsewhere(ended);
                break;
            case NoticeSignal notice:
                _registry.Post(notice.Session, notice.Notice);
                break;
            default:
                throw new ArgumentException($"Unknown cluster signal {signal.GetType().Name}.", nameof(signal));
        }
    }

    public async ValueTask ResynchronizeAsync(CancellationToken cancellationToken = default)
    {
        foreach (var session in _registry.All)
        {
            // A session another node ended meanwhile is closed here; the rest read what they missed.
            await _sessions.EndIfGoneAsync(session, cancellationToken).ConfigureAwait(false);
            session.CatchUp();
        }

        // Logins and logouts elsewhere whose signals were lost: what the sessions here were told is corrected.
        await _sessions.ReannounceAsync(cancellationToken).ConfigureAwait(false);
    }
}
