namespace ChatRoom.Blocking;

/// <summary>The outcome of a block.</summary>
public enum BlockResult
{
    /// <summary>The user is now blocked.</summary>
    Blocked,

    /// <summary>The user was blocked already; nothing changed.</summary>
    AlreadyBlocked,

    /// <summary>Nobody can block themself.</summary>
    CannotBlockSelf,

    /// <summary>No such user.</summary>
    UnknownUser,
}

/// <summary>The outcome of an unblock.</summary>
public enum UnblockResult
{
    /// <summary>The user is no longer blocked.</summary>
    Unblocked,

    /// <summary>The user was not blocked; nothing changed.</summary>
    NotBlocked,
}

/// <summary>Lets users block others. If A blocks B, B cannot message A, B's broadcasts skip A, B sees no presence of A, and B cannot get A's address.</summary>
public interface IBlacklistService
{
    /// <summary><paramref name="owner"/> blocks <paramref name="target"/>.</summary>
    ValueTask<BlockResult> BlockAsync(string owner, string target, CancellationToken cancellationToken = default);

    /// <summary><paramref name="owner"/> unblocks <paramref name="target"/>.</summary>
    ValueTask<UnblockResult> UnblockAsync(string owner, string target, CancellationToken cancellationToken = default);

    /// <summary>Whether <paramref name="owner"/> has blocked <paramref name="other"/>.</summary>
    ValueTask<bool> HasBlockedAsync(string owner, string other, CancellationToken cancellationToken = default);
}
