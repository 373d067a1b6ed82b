namespace ChatRoom;

/// <summary>Settings of the ChatRoom domain core. Validated once at start by <see cref="ChatRoomOptionsValidator"/>.</summary>
public sealed class ChatRoomOptions
{
    /// <summary>Consecutive failed logins for one user name that lock it. Default 3.</summary>
    public int MaxFailedLogins { get; set; } = 3;

    /// <summary>How long a user name stays locked after <see cref="MaxFailedLogins"/> failures. Default 60 s.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A session whose last heartbeat is older than this is expired by the sweep. Default 75 s (two and a half of the client's 30 s beats).</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(75);

    /// <summary>How long the target of a getaddress has to answer before it counts as a refusal. Default 30 s.</summary>
    public TimeSpan ConsentTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a peer-to-peer grant stays valid after consent. Default 1 hour.</summary>
    public TimeSpan PeerGrantLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Longest message text, in UTF-8 bytes. Default 4096 (4 KiB).</summary>
    public int MaxMessageBytes { get; set; } = 4096;

    /// <summary>
    /// Most direct messages a session has out with its client unacknowledged; the next ones go out as acknowledgements
    /// arrive, so a backlog of any size streams at the client's pace. Default 256: well inside a transport's outbound
    /// queue, and enough to keep a round trip's worth of messages moving.
    /// </summary>
    public int DeliveryWindow { get; set; } = 256;
}
