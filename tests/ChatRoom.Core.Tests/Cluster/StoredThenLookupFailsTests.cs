using ChatRoom.Cluster;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Routing;
using ChatRoom.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Core.Tests.Cluster;

/// <summary>
/// Once a message is stored, failing to find out where its recipient is must not answer the sender with an error: they
/// would send it again, and the recipient would get two copies with different ids.
/// </summary>
public sealed class StoredThenLookupFailsTests : IDisposable
{
    private readonly CoreHarness _core = CoreHarness.Create(services: s =>
    {
        s.AddSingleton<IClusterBus>(new NobodyElse());
        s.AddSingleton<IPresenceService>(new PresenceAway());
    });

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task A_stored_message_whose_recipient_cannot_be_looked_up_is_reported_stored()
    {
        var result = await _core.Get<IMessageRouter>().SendAsync("seas", "columbia", "kept anyway");

        Assert.Equal(SendOutcome.StoredOffline, result.Outcome);
        Assert.Equal("kept anyway", Assert.Single(await _core.Get<IOfflineStore>().ReadAsync("columbia", 0, 10)).Message.Text);
    }

    private sealed class NobodyElse : IClusterBus
    {
        public string NodeId => "node-a";

        public ValueTask<bool> SendAsync(string node, ClusterSignal signal, CancellationToken cancellationToken = default) => ValueTask.FromResult(false);

        public ValueTask PublishAsync(ClusterSignal signal, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }

    /// <summary>A shared directory that cannot be reached.</summary>
    private sealed class PresenceAway : IPresenceService
    {
        public ValueTask<SessionInfo?> FindAsync(string user, CancellationToken cancellationToken = default) => throw new ChatStoreException("redis", "could not read presence");

        public ValueTask<PresenceLogin> LoginAsync(SessionInfo session, CancellationToken cancellationToken = default) => throw new ChatStoreException("redis", "down");

        public ValueTask<bool> HeartbeatAsync(SessionId session, string user, CancellationToken cancellationToken = default) => throw new ChatStoreException("redis", "down");

        public ValueTask<SessionInfo?> LogoutAsync(SessionId session, string user, LogoutReason reason, CancellationToken cancellationToken = default) => throw new ChatStoreException("redis", "down");

        public ValueTask<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default) => throw new ChatStoreException("redis", "down");

        public ValueTask<IReadOnlyList<SessionInfo>> SweepAsync(CancellationToken cancellationToken = default) => throw new ChatStoreException("redis", "down");
    }
}
