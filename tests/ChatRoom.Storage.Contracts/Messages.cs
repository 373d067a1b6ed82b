using ChatRoom.Messaging;

namespace ChatRoom.Storage.Contracts;

/// <summary>Messages to store in tests.</summary>
public static class Messages
{
    /// <summary>A direct message from columbia to <paramref name="recipient"/>, with a new id.</summary>
    public static ChatMessage To(string recipient, string text)
        => new(MessageId.New(TimeProvider.System), MessageKind.Direct, "columbia", recipient, text, DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_000));
}
