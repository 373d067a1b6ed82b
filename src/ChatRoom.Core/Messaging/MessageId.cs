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

    /// <summary>Characters in the text form: 32 hexadecimal digits.</summary>
    public const int TextLength = 32;

    /// <summary>Writes the form <see cref="ToString"/> returns into <paramref name="destination"/>, without making a string.</summary>
    /// <returns>False when <paramref name="destination"/> is shorter than <see cref="TextLength"/>.</returns>
    public bool TryFormat(Span<char> destination, out int charsWritten) => Value.TryFormat(destination, out charsWritten, "N");

    /// <summary>Writes the form <see cref="ToString"/> returns into <paramref name="utf8Destination"/> as UTF-8 (one byte a digit).</summary>
    /// <returns>False when <paramref name="utf8Destination"/> is shorter than <see cref="TextLength"/>.</returns>
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten) => Value.TryFormat(utf8Destination, out bytesWritten, "N");

    /// <summary>The 32-hex-digit form, as it travels on the wire.</summary>
    public override string ToString() => Value.ToString("N");
}
