using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Cluster;
using ChatRoom.Consent;
using ChatRoom.Offline;
using ChatRoom.Presence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatRoom.Core.Tests.Cluster;

/// <summary>
/// Two cores sharing every store and directory, as two server nodes on one Redis would, linked by a bus that hands each
/// signal to the other node's handler at once (or drops it, to test a lost signal).
/// </summary>
internal sealed class TwoNodes : IDisposable
{
    public TwoNodes(Action<ChatRoomOptions>? configure = null)
    {
        var time = new FakeTimeProvider(CoreHarness.Start);
        A = CoreHarness.Create(time, configure, s => s.AddSingleton<IClusterBus>(new LinkedBus("node-a", this)));
        B = CoreHarness.Create(time, configure, s =>
        {
            s.AddSingleton<IClusterBus>(new LinkedBus("node-b", this));
            s.AddSingleton(A.Get<IOfflineStore>());
            s.AddSingleton(A.Get<IBlockListStore>());
            s.AddSingleton(A.Get<ILockoutStore>());
            s.AddSingleton(A.Get<IPresenceService>());
            s.AddSingleton(A.Get<IConsentDirectory>());
        });
    }

    public CoreHarness A { get; }

    public CoreHarness B { get; }

    public FakeTimeProvider Time => A.Time;

    /// <summary>While true, signals are lost on the way.</summary>
    public bool Dropping { get; set; }

    /// <summary>While true, the other node is not listening: sends report that nobody received them.</summary>
    public bool Unreachable { get; set; }

    public List<ClusterSignal> Sent { get; } = [];

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }

    private CoreHarness? Node(string id) => id switch { "node-a" => A, "node-b" => B, _ => null };

    private sealed class LinkedBus(string nodeId, TwoNodes cluster) : IClusterBus
    {
        public string NodeId => nodeId;

        public async ValueTask<bool> SendAsync(string node, ClusterSignal signal, CancellationToken cancellationToken = default)
        {
            cluster.Sent.Add(signal);
            if (cluster.Unreachable || cluster.Node(node) is not { } target)
            {
                return false;
            }

            if (!cluster.Dropping)
            {
                await target.Get<IClusterSignalHandler>().HandleAsync(signal, cancellationToken);
            }

            return true;
        }

        public async ValueTask PublishAsync(ClusterSignal signal, CancellationToken cancellationToken = default)
        {
            await SendAsync(nodeId == "node-a" ? "node-b" : "node-a", signal, cancellationToken);
        }
    }
}
