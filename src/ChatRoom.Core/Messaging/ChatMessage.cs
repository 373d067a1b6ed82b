namespace ChatRoom.Messaging;

/// <summary>How a message was addressed.</summary>
public enum MessageKind
{
    /// <summary>To one user, through the server.</summary>
    Direct,

    /// <summary>To every online user who has not blocked the sender.</summary>
    Broadcast,

    /// <summary>To one user, peer to peer.</summary>
    Private,
}

/// <summary>One message.</summary>
/// <param name="Id">Its id, assigned once by the router.</param>
/// <param name="Kind">How it was addressed.</param>
/// <param name="From">The sender.</param>
/// <param name="To">The recipient, or null for a broadcast.</param>
/// <param name="Text">The text.</param>
/// <param name="SentAt">When the router accepted it.</param>
public sealed record ChatMessage(MessageId Id, MessageKind Kind, string From, string? To, string Text, DateTimeOffset SentAt);
