namespace ChatRoom.Offline;

/// <summary>
/// How much one recipient's box may hold: the messages stored for them and not yet acknowledged, counted and measured
/// by the UTF-8 bytes of their texts. A message that would take the box past either limit is not stored.
/// </summary>
/// <param name="MaxMessages">Most messages kept for one recipient; at least 1.</param>
/// <param name="MaxBytes">Most UTF-8 bytes of text kept for one recipient; at least 1.</param>
public readonly record struct MailboxLimits(int MaxMessages, long MaxBytes)
{
    /// <summary>No limit: every message is stored.</summary>
    public static MailboxLimits None { get; } = new(int.MaxValue, long.MaxValue);

    /// <summary>Whether a box holding <paramref name="messages"/> messages of <paramref name="bytes"/> bytes has room for one more of <paramref name="messageBytes"/> bytes.</summary>
    public bool Admits(long messages, long bytes, long messageBytes) => messages < MaxMessages && bytes <= MaxBytes - messageBytes;
}
