namespace ChatRoom.Cluster;

/// <summary>
/// Links this server node to the other nodes of a cluster: the sessions, presence and pending questions of the whole
/// cluster are in shared stores, but a connection lives on exactly one node, so whatever must reach a connection on
/// another node travels as a <see cref="ClusterSignal"/>. A single server uses the default, which has no other nodes.
/// </summary>
/// <remarks>
/// Signals are at-most-once: a node that is away when one is sent misses it. Nothing durable travels only as a signal:
/// a direct message is stored before its <see cref="DeliverSignal"/> is sent, so a lost signal delays it (until the
/// next signal for that user, or the bus calls <see cref="IClusterSignalHandler.ResynchronizeAsync"/>), never loses it.
/// Signals from one node arrive at another in the order they were sent.
/// </remarks>
public interface IClusterBus
{
    /// <summary>This node's name, unique among the running nodes; <see cref="Presence.SessionInfo.Node"/> holds it for the sessions here.</summary>
    string NodeId { get; }

    /// <summary>Sends <paramref name="signal"/> to the node named <paramref name="node"/>; false when no such node is listening.</summary>
    ValueTask<bool> SendAsync(string node, ClusterSignal signal, CancellationToken cancellationToken = default);

    /// <summary>Sends <paramref name="signal"/> to every other node.</summary>
    ValueTask PublishAsync(ClusterSignal signal, CancellationToken cancellationToken = default);
}

/// <summary>What a node does with the signals other nodes send it; the bus calls it, the core implements it.</summary>
public interface IClusterSignalHandler
{
    /// <summary>Carries out a signal another node sent to this one.</summary>
    ValueTask HandleAsync(ClusterSignal signal, CancellationToken cancellationToken = default);

    /// <summary>
    /// The bus may have missed signals (it lost and regained its link): every session here reads its kept messages
    /// again, so a direct message whose signal was lost still goes out.
    /// </summary>
    ValueTask ResynchronizeAsync(CancellationToken cancellationToken = default);
}
