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

    /// <summary>
    /// Most messages kept for one recipient and not yet acknowledged by their client (offline or online: a client that
    /// never acknowledges fills its box too); a direct message to a full box is refused and its sender told
    /// (<c>error mailbox-full</c>). Default 5,000: ejabberd's offline module caps boxes with the same kind of limit
    /// (its sample configuration gives 100 to users, 5,000 to administrators); ChatRoom keeps online messages until they
    /// are acknowledged as well, so it takes the larger figure. A receiver that keeps up holds at most a delivery window
    /// and an acknowledgement batch (a few hundred) unacknowledged, so load that is read never meets it.
    /// </summary>
    public int MaxMailboxMessages { get; set; } = 5_000;

    /// <summary>
    /// Most UTF-8 bytes of message text kept for one recipient and not yet acknowledged; a direct message that would go
    /// past it is refused like a message to a full box. Default 16 MiB: the disk one user's box can take is then bounded
    /// whatever <see cref="MaxMessageBytes"/> is (about 4,000 messages of the default 4 KiB; 16 MiB times the number of
    /// users in all).
    /// </summary>
    public long MaxMailboxBytes { get; set; } = 16L * 1024 * 1024;
}
