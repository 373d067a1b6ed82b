using ChatRoom.Presence;
using ChatRoom.Sessions;

namespace ChatRoom.Cluster;

/// <summary>Reaches a session's connection wherever in the cluster it is: here through the registry, elsewhere through the bus.</summary>
internal sealed class ClusterSessions
{
    private readonly SessionRegistry _registry;
    private readonly IClusterBus _bus;

    public ClusterSessions(SessionRegistry registry, IClusterBus bus)
    {
        _registry = registry;
        _bus = bus;
    }

    /// <summary>Whether there may be other nodes: false for a single server, whose every session is here.</summary>
    public bool Clustered => _bus is not LocalClusterBus;

    public IClusterBus Bus => _bus;

    /// <summary>Whether <paramref name="session"/>'s connection is on this node.</summary>
    public bool IsHere(SessionInfo session) => session.Node is null || string.Equals(session.Node, _bus.NodeId, StringComparison.Ordinal);

    /// <summary>Posts <paramref name="notice"/> to <paramref name="session"/>; true when queued here or handed to the node that holds it.</summary>
    public ValueTask<bool> PostAsync(SessionInfo session, SessionNotice notice, CancellationToken cancellationToken = default)
        => IsHere(session)
            ? ValueTask.FromResult(_registry.Post(session.Id, notice))
            : _bus.SendAsync(session.Node!, new NoticeSignal(session.Id, notice), cancellationToken);
}
