namespace ChatRoom.Cluster;

/// <summary>The bus of a server that is the whole cluster: there is no other node to reach.</summary>
internal sealed class LocalClusterBus : IClusterBus
{
    public string NodeId => "local";

    public ValueTask<bool> SendAsync(string node, ClusterSignal signal, CancellationToken cancellationToken = default) => ValueTask.FromResult(false);

    public ValueTask PublishAsync(ClusterSignal signal, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
