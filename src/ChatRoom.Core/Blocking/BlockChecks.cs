namespace ChatRoom.Blocking;

/// <summary>Block checks for many users at once: what a broadcast, its count and <c>online</c> each need.</summary>
internal static class BlockChecks
{
    /// <summary>
    /// For each of <paramref name="owners"/>, whether they have blocked <paramref name="other"/>. Every check is asked
    /// before any answer is awaited, so a remote store answers them together rather than one round trip per owner; a
    /// local one has answered each already.
    /// </summary>
    public static async ValueTask<bool[]> HaveBlockedAsync(this IBlacklistService blacklist, IReadOnlyList<string> owners, string other, CancellationToken cancellationToken)
    {
        var checks = new ValueTask<bool>[owners.Count];
        for (var i = 0; i < owners.Count; i++)
        {
#pragma warning disable CA2012 // Kept to await below, each exactly once.
            checks[i] = blacklist.HasBlockedAsync(owners[i], other, cancellationToken);
#pragma warning restore CA2012
        }

        var blocked = new bool[owners.Count];
        for (var i = 0; i < owners.Count; i++)
        {
            blocked[i] = await checks[i].ConfigureAwait(false);
        }

        return blocked;
    }
}
