namespace ChatRoom.Messaging;

/// <summary>Identifies one message everywhere it travels. Time-ordered (UUID v7), so ids created later sort later.</summary>
public readonly record struct MessageId(Guid Value)
{
    /// <summary>Creates a new id stamped with <paramref name="timeProvider"/>'s current time.</summary>
    public static MessageId New(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return new(Guid.CreateVersion7(timeProvider.GetUtcNow()));
    }

    /// <summary>Parses the 32-hex-digit form written by <see cref="ToString"/>.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MessageId id)
    {
        var ok = Guid.TryParseExact(text, "N", out var guid);
        id = new(guid);
        return ok;
    }

    /// <summary>The 32-hex-digit form, as it travels on the wire.</summary>
    public override string ToString() => Value.ToString("N");
}
