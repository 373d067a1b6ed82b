namespace ChatRoom;

/// <summary>Settings of the ChatRoom domain core. Validated once at start by <see cref="ChatRoomOptionsValidator"/>.</summary>
public sealed class ChatRoomOptions
{
    /// <summary>
    /// Consecutive failed logins for one user name from one address that lock the name for that address (the owner logging
    /// in from elsewhere is not locked). Default 3, the course rule.
    /// </summary>
    public int MaxFailedLogins { get; set; } = 3;

    /// <summary>How long a user name stays locked for an address after <see cref="MaxFailedLogins"/> failures from it. Default 60 s (the server's <c>--block-time</c>).</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Failed logins from one address, whatever the names, after which that address may not try any name for
    /// <see cref="FailedLoginWindow"/> (guessing many names, or one name slowly, from one place). Default 50: a person
    /// mistyping never gets near it, and successful logins do not count, so thousands of clients logging in from one
    /// address (the load generator's 625 an address) are never refused.
    /// </summary>
    public int MaxFailedLoginsPerAddress { get; set; } = 50;

    /// <summary>
    /// How long failures are remembered: a failure more than this after the previous one for the same name, address or
    /// name-from-address starts its count again; an address over <see cref="MaxFailedLoginsPerAddress"/> is refused for
    /// this long; and lockout records with no failure for this long and no running lock are removed, so made-up names
    /// leave nothing behind. Default 15 minutes.
    /// </summary>
    public TimeSpan FailedLoginWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Failed logins for one user name, from every address together, after which each further failure slows the name down
    /// (see <see cref="AccountSlowdown"/>) instead of locking it, so a guesser spread over many addresses gets few tries
    /// and the owner still gets in. Default 10: more than three addresses' worth of the per-address rule.
    /// </summary>
    public int AccountSlowdownAfter { get; set; } = 10;

    /// <summary>
    /// How long a user name answers "try again in N s" (without checking the password) after a failure beyond
    /// <see cref="AccountSlowdownAfter"/>. At most 1 minute; default 3 s, so the owner waits at most a few seconds while a
    /// distributed guesser gets one guess per 3 s.
    /// </summary>
    public TimeSpan AccountSlowdown { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Password checks that run at once; the rest wait their turn. A salted PBKDF2 hash at 600,000 iterations costs about
    /// 0.3 s of CPU, so a flood of logins could otherwise take every core from chat. Default: half the processors (at least 1).
    /// </summary>
    public int MaxConcurrentPasswordChecks { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// Password checks one address may have in flight (waiting their turn or running); a further attempt from it is answered
    /// "try again in 1 s" at once, unchecked and uncounted. Keeps one address from queueing hundreds of slow checks in front
    /// of everyone else, and bounds how far its failures can overshoot <see cref="MaxFailedLoginsPerAddress"/> (they are
    /// counted after the check). Applies only when checks are costly (hashed credentials): cheap ones are not queued.
    /// Default 16.
    /// </summary>
    public int MaxPendingLoginsPerAddress { get; set; } = 16;

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
