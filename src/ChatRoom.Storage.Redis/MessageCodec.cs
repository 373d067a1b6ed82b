using System.Buffers.Binary;
using System.Text;
using ChatRoom.Messaging;

namespace ChatRoom.Storage.Redis;

/// <summary>
/// A stored message in bytes, compact and exact. The id is not in it: it is the hash field and sorted-set member,
/// 16 bytes (big-endian, so ids sort as they were made). The value, all integers little-endian:
/// <code>
/// 0      format (1)
/// 1..4   UTF-8 bytes of the text (uint32): the scripts read it to keep the box's byte total without decoding
/// 5      kind
/// 6..13  SentAt clock ticks (int64), 14..15 its offset in minutes (int16): the same DateTimeOffset comes back
/// 16..   sender length (7-bit varint) and UTF-8; recipient length + 1 (0 = none) and UTF-8; the text, to the end
/// </code>
/// </summary>
internal static class MessageCodec
{
    public const int IdLength = 16;
    private const byte Format = 1;
    private const int HeaderLength = 16;
    // Written as the rest of ChatRoom counts bytes (a lone surrogate becomes U+FFFD); read strictly, so damage shows.
    private static readonly Encoding s_write = Encoding.UTF8;
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] EncodeId(MessageId id)
    {
        var bytes = new byte[IdLength];
        id.Value.TryWriteBytes(bytes, bigEndian: true, out _);
        return bytes;
    }

    public static bool TryDecodeId(ReadOnlySpan<byte> bytes, out MessageId id)
    {
        id = bytes.Length == IdLength ? new MessageId(new Guid(bytes, bigEndian: true)) : default;
        return bytes.Length == IdLength;
    }

    /// <summary>The message as stored, and the UTF-8 bytes of its text (what <see cref="Offline.MailboxLimits"/> count).</summary>
    public static byte[] Encode(ChatMessage message, out int textBytes)
    {
        var from = s_write.GetByteCount(message.From);
        var to = message.To is null ? 0 : s_write.GetByteCount(message.To);
        textBytes = s_write.GetByteCount(message.Text);
        var payload = new byte[HeaderLength + VarintLength(from) + from + VarintLength(to + 1) + to + textBytes];
        var span = payload.AsSpan();
        span[0] = Format;
        BinaryPrimitives.WriteUInt32LittleEndian(span[1..], (uint)textBytes);
        span[5] = (byte)message.Kind;
        BinaryPrimitives.WriteInt64LittleEndian(span[6..], message.SentAt.Ticks);
        BinaryPrimitives.WriteInt16LittleEndian(span[14..], (short)message.SentAt.TotalOffsetMinutes);
        var at = HeaderLength;
        at += WriteVarint(span[at..], from);
        at += s_write.GetBytes(message.From, span[at..]);
        at += WriteVarint(span[at..], message.To is null ? 0 : to + 1);
        if (message.To is not null)
        {
            at += s_write.GetBytes(message.To, span[at..]);
        }

        s_write.GetBytes(message.Text, span[at..]);
        return payload;
    }

    /// <summary>Reads a message <see cref="Encode"/> wrote; false for anything else (another format, cut short, bad UTF-8).</summary>
    public static bool TryDecode(MessageId id, ReadOnlySpan<byte> payload, out ChatMessage? message)
    {
        message = null;
        if (payload.Length < HeaderLength || payload[0] != Format || payload[5] > (byte)MessageKind.Private)
        {
            return false;
        }

        var textBytes = BinaryPrimitives.ReadUInt32LittleEndian(payload[1..]);
        var ticks = BinaryPrimitives.ReadInt64LittleEndian(payload[6..]);
        var offsetMinutes = BinaryPrimitives.ReadInt16LittleEndian(payload[14..]);
        var rest = payload[HeaderLength..];
        try
        {
            if (!TryReadString(ref rest, nullable: false, out var from) || !TryReadString(ref rest, nullable: true, out var to) || rest.Length != textBytes)
            {
                return false;
            }

            var sentAt = new DateTimeOffset(ticks, TimeSpan.FromMinutes(offsetMinutes));
            message = new ChatMessage(id, (MessageKind)payload[5], from!, to, s_strict.GetString(rest), sentAt);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or DecoderFallbackException)
        {
            return false; // out-of-range ticks or offset, or bytes that are not UTF-8
        }
    }

    private static bool TryReadString(ref ReadOnlySpan<byte> rest, bool nullable, out string? value)
    {
        value = null;
        if (!TryReadVarint(ref rest, out var length))
        {
            return false;
        }

        if (nullable)
        {
            if (length == 0)
            {
                return true;
            }

            length--;
        }

        if (length > rest.Length)
        {
            return false;
        }

        value = s_strict.GetString(rest[..length]);
        rest = rest[length..];
        return true;
    }

    private static int VarintLength(int value)
    {
        var length = 1;
        for (var v = (uint)value; v >= 0x80; v >>= 7)
        {
            length++;
        }

        return length;
    }

    private static int WriteVarint(Span<byte> destination, int value)
    {
        var v = (uint)value;
        var at = 0;
        for (; v >= 0x80; v >>= 7)
        {
            destination[at++] = (byte)(v | 0x80);
        }

        destination[at++] = (byte)v;
        return at;
    }

    private static bool TryReadVarint(ref ReadOnlySpan<byte> rest, out int value)
    {
        value = 0;
        for (var shift = 0; shift < 32; shift += 7)
        {
            if (rest.IsEmpty)
            {
                return false;
            }

            var b = rest[0];
            rest = rest[1..];
            value |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value >= 0;
            }
        }

        return false;
    }
}
