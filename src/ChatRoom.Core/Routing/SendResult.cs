using ChatRoom.Messaging;

namespace ChatRoom.Routing;

/// <summary>What the router did with a direct message.</summary>
public enum SendOutcome
{
    /// <summary>Stored, and queued to the recipient's live connection at once. Not a sign that the recipient has read it.</summary>
    Delivered,

    /// <summary>The recipient is offline (or unreachable); stored until their next login.</summary>
    StoredOffline,

    /// <summary>Not accepted; see <see cref="SendResult.Refusal"/>.</summary>
    Refused,

    /// <summary>Stored; the recipient is online but still taking earlier messages, and gets this one right after them, in order.</summary>
    Queued,
}

/// <summary>Why a message was refused.</summary>
public enum RefusalReason
{
    /// <summary>The text is empty or only white space.</summary>
    Empty,

    /// <summary>The text is longer than the configured limit.</summary>
    TooLong,

    /// <summary>The recipient is not a known user.</summary>
    UnknownUser,

    /// <summary>The recipient has blocked the sender.</summary>
    Blocked,

    /// <summary>
    /// The recipient's box is full: they already have as many unacknowledged messages (or bytes) kept as
    /// <see cref="ChatRoomOptions.MaxMailboxMessages"/> (<see cref="ChatRoomOptions.MaxMailboxBytes"/>) allow. Nothing was stored.
    /// </summary>
    MailboxFull,
}

/// <summary>The outcome of a direct send.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Message">The accepted message with its id, or null when refused.</param>
/// <param name="Refusal">Why it was refused, when <paramref name="Outcome"/> is <see cref="SendOutcome.Refused"/>.</param>
public sealed record SendResult(SendOutcome Outcome, ChatMessage? Message, RefusalReason? Refusal = null);

/// <summary>The outcome of a broadcast.</summary>
/// <param name="Message">The accepted message, or null when refused.</param>
/// <param name="Recipients">How many online users it was queued to.</param>
/// <param name="Refusal">Why it was refused, or null.</param>
/// <remarks>
/// It does not say how many were skipped because they blocked the sender: that count would change as a blocker logs in
/// and out, telling the blocked sender when the blocker is online. Those users are simply not among the recipients.
/// </remarks>
public sealed record BroadcastResult(ChatMessage? Message, int Recipients, RefusalReason? Refusal = null);
