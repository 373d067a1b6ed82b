namespace ChatRoom.Storage.Redis.Cluster;

/// <summary>This node's name in the cluster and how long its lease lasts without renewal.</summary>
internal sealed record RedisClusterIdentity(string NodeId, TimeSpan Lease);
