using System.Net;
using System.Text;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Protocol;
using ChatRoom.Sessions;
using FsCheck;
using FsCheck.Fluent;

namespace ChatRoom.Networking.Tests.Properties;

/// <summary>
/// Generators for what travels on the wire: well-formed values for the round-trip properties, and hostile strings and
/// bytes (NUL, CR, bidi overrides, lone surrogates, huge numbers, wire punctuation) for the never-crash properties.
/// </summary>
internal static class WireGen
{
    /// <summary>The user the parsed lines are addressed to.</summary>
    public const string Self = "me";

    private static readonly char[] NameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.éü#:".ToCharArray();
    private static readonly char[] AlnumChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".ToCharArray();

    // Text as a client may send it: no control characters but tab; wire punctuation, non-ASCII, bidi marks and emoji.
    private static readonly string[] TextPieces = ["a", "b", "Z", "7", " ", "  ", ":", " :", "#", "\t", "é", "✓", "日本", "\u202E", "\u200F", "\u2066", "😀", "\uFEFF", "-", "'"];

    // Hostile pieces: everything above plus NUL, CR, other controls, lone surrogates, huge numbers, verbs and fields.
    private static readonly string[] HostilePieces =
    [
        .. TextPieces, "\0", "\r", "\u0001", "\u001b[2J", "\u0085", "\uD800", "\uDC00", "\uFFFF", "\u00A0",
        "99999999999999999999", "99999999999999999", "253402300800000", "-1", "0", "65536", "1.5", "NaN", "1e400", "9223372036854775808",
        "login", "message", "broadcast", "ack", "consent", "getaddress", "ok", "error", "hello", "presence", "address", "grant",
        "refused", "displaced", "bye", "offline", "private", "pmsg", "peer-hello", "pack", "#1", "#", "[", "]", "[::1]",
        "0123456789abcdef0123456789abcdef", "yes", "no", "wrong-credentials", "locked", "refused", "timed-out",
    ];

    public static Gen<string> Name { get; } =
        from length in Gen.Choose(1, 12)
        from chars in Gen.ArrayOf(Gen.Elements(NameChars), length)
        where chars[0] is not ('#' or ':')
        select new string(chars);

    public static Gen<string> Alnum { get; } =
        from length in Gen.Choose(1, 16)
        from chars in Gen.ArrayOf(Gen.Elements(AlnumChars), length)
        select new string(chars);

    /// <summary>A word: a field, a password or a token (no white space, no control characters, not starting with <c>:</c> or <c>#</c>).</summary>
    public static Gen<string> Word { get; } = Gen.OneOf(Name, Alnum, Gen.Elements("delivered", "already", "x-y", "é✓", "p@ss!word"));

    public static Gen<string?> Tag { get; } = Gen.OneOf(Gen.Constant<string?>(null), Alnum.Select(t => (string?)t));

    public static Gen<string> Text { get; } =
        from count in Gen.Choose(0, 12)
        from pieces in Gen.ArrayOf(Gen.Elements(TextPieces), count)
        select string.Concat(pieces);

    /// <summary>Message text a client can send: non-empty, and no white space at either end (the parser trims the line).</summary>
    // What a client may send as a message: the server refuses bidirectional embeddings, overrides and isolates in texts.
    public static Gen<string> MessageText { get; } = Text.Select(t => t.Trim()).Where(t => t.Length > 0 && !BidiControls.ContainsFormatting(t));

    public static Gen<MessageId> Id { get; } = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 16).Select(b => new MessageId(new Guid(b)));

    /// <summary>A time from 1970 to 9999, to the millisecond.</summary>
    public static Gen<DateTimeOffset> Time { get; } =
        from high in Gen.Choose(0, 253_402_300)
        from low in Gen.Choose(0, 799_999)
        select DateTimeOffset.FromUnixTimeMilliseconds((high * 1_000_000L) + low);

    public static Gen<string> Address { get; } =
        from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 16)
        from v6 in Gen.Elements(true, false)
        select (v6 ? new IPAddress(bytes) : new IPAddress(bytes[..4])).ToString();

    public static Gen<string> Token { get; } = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 16).Select(Convert.ToHexStringLower);

    /// <summary>Every kind of line the server writes, with well-formed values.</summary>
    public static Gen<SessionNotice> Notice { get; } = Gen.OneOf(
        from tag in Tag
        from ok in Gen.Elements(true, false)
        from head in Gen.OneOf(Alnum, Gen.Elements("login", "wrong-credentials", "getaddress", "no-such-request"))
        from fields in Gen.ListOf(Word, 4)
        from hasText in Gen.Elements(true, false)
        from text in Text
        select (SessionNotice)new ReplyNotice(tag, ok, head, [.. fields], hasText ? text : null),
        from id in Id
        from kind in Gen.Elements(MessageKind.Direct, MessageKind.Private, MessageKind.Broadcast)
        from offline in Gen.Elements(true, false)
        from sender in Name
        from text in Text
        from at in Time
        select (SessionNotice)new MessageNotice(
            new ChatMessage(id, kind, sender, kind == MessageKind.Broadcast ? null : Self, text, at), FromOfflineStore: offline && kind == MessageKind.Direct),
        from user in Name
        from online in Gen.Elements(true, false)
        select (SessionNotice)new PresenceNotice(user, online),
        Name.Select(user => (SessionNotice)new ConsentRequestNotice(user)),
        from target in Name
        from address in Address
        from port in Gen.Choose(1, 65535)
        from token in Token
        from expires in Time
        select (SessionNotice)new AddressGrantedNotice(new PeerGrant(Self, target, token, expires), address, port),
        from requester in Name
        from token in Token
        from expires in Time
        select (SessionNotice)new ConsentConfirmedNotice(new PeerGrant(requester, Self, token, expires)),
        from target in Name
        from reason in Gen.Elements(Enum.GetValues<ConsentRefusal>())
        select (SessionNotice)new ConsentRefusedNotice(target, reason),
        from name in Word
        from version in Gen.Choose(0, int.MaxValue)
        from millis in Gen.Choose(1, 86_400_000)
        select (SessionNotice)new HelloNotice(name, version, TimeSpan.FromMilliseconds(millis)),
        Address.Select(a => (SessionNotice)new DisplacedNotice(a)),
        from reason in Gen.Elements("logout", "expired", "shutdown", "slow-reader")
        from text in Text
        select (SessionNotice)new ByeNotice(reason, text));

    /// <summary>Strings an attacker might send: any string FsCheck makes, hostile pieces run together, or one of them repeated to a huge length.</summary>
    public static Gen<string> Hostile { get; } = Gen.Frequency(
        (2, ArbMap.Default.GeneratorFor<string>().Select(s => s ?? string.Empty)),
        (6, from count in Gen.Choose(0, 16)
            from pieces in Gen.ArrayOf(Gen.Elements(HostilePieces), count)
            from separators in Gen.ArrayOf(Gen.Elements(" ", " ", "", "\t", " :"), count)
            select string.Concat(pieces.Zip(separators, (p, s) => p + s))),
        (1, from piece in Gen.Elements(HostilePieces)
            from repeat in Gen.Choose(1_000, 5_000)
            select new StringBuilder().Insert(0, piece + " ", repeat).ToString()));

    /// <summary>Bytes an attacker might send: arbitrary bytes, or hostile strings with invalid UTF-8 spliced in.</summary>
    public static Gen<byte[]> HostileBytes { get; } = Gen.OneOf(
        ArbMap.Default.GeneratorFor<byte[]>().Select(b => b ?? []),
        from text in Hostile
        from junk in Gen.Elements<byte[]>([0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [(byte)'\n'], [(byte)'\r', (byte)'\n'], [])
        select (byte[])[.. Encoding.UTF8.GetBytes(text), .. junk, .. Encoding.UTF8.GetBytes(text)]);
}
