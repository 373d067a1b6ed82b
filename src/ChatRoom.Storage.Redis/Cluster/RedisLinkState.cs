namespace ChatRoom.Storage.Redis.Cluster;

/// <summary>
/// Whether this node may end other nodes' sessions now. When Redis was away, every node's lease lapsed with nobody at
/// fault; right after the link returns, the sweep waits two leases so the live nodes renew theirs first, instead of the
/// first node back ending everyone's sessions. A node that really died is swept after that.
/// </summary>
internal sealed class RedisLinkState(TimeProvider time, RedisClusterIdentity identity)
{
    private long _sweepFromTicks;

    /// <summary>The link to Redis broke: no sweeping until it is back and the wait after it is over.</summary>
    public void Lost() => Interlocked.Exchange(ref _sweepFromTicks, long.MaxValue);

    /// <summary>The link to Redis came back.</summary>
    public void Restored() => Interlocked.Exchange(ref _sweepFromTicks, (time.GetUtcNow() + identity.Lease + identity.Lease).UtcTicks);

    /// <summary>False while the sweep waits after the link returned.</summary>
    public bool MaySweep => time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _sweepFromTicks);
}
