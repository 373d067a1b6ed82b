using System.Buffers;
using System.Globalization;
using System.Text;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Sessions;
using ChatRoom.Tls;

namespace ChatRoom.Protocol;

/// <summary>
/// The server's lines: <c>kind [#tag] field* [:text]</c>. Fields are single words; free text, if any, comes last after a
/// colon. <see cref="Write"/> and <see cref="Parse"/> are exact inverses for every notice kind.
/// </summary>
internal static class WireFormat
{
    public const int ProtocolVersion = 1;

    public static void Write(IBufferWriter<byte> output, SessionNotice notice)
    {
        var line = new LineBuilder(output);
        switch (notice)
        {
            case ReplyNotice reply:
                line.Word(reply.Ok ? "ok" : "error");
                if (reply.Tag is not null)
                {
                    line.Word((byte)'#', reply.Tag);
                }

                line.Word(reply.Head);

                // By index: a foreach over the interface would allocate an enumerator per reply.
                var fields = reply.Fields;
                for (var i = 0; i < fields.Count; i++)
                {
                    line.Word(fields[i]);
                }

                line.Text(reply.Text);
                break;
            case MessageNotice { Message: var m } message:
                line.Word(message.FromOfflineStore ? "offline" : m.Kind switch
                {
                    MessageKind.Broadcast => "broadcast",
                    MessageKind.Private => "private",
                    _ => "message",
                });
                line.Word(m.From);
                line.Word(m.Id);
                line.Word(m.SentAt.ToUnixTimeMilliseconds());
                line.Text(m.Text);
                break;
            case PresenceNotice presence:
                line.Word("presence");
                line.Word(presence.User);
                line.Word(presence.Online ? "online" : "offline");
                break;
            case ConsentRequestNotice request:
                line.Word("consent-request");
                line.Word(request.Requester);
                break;
            case AddressGrantedNotice granted:
                line.Word("address");
                line.Word(granted.Grant.Target);
                line.Word(FormatAddress(granted.Address));
                line.Word(granted.Port);
                line.Word(granted.Grant.Token);
                line.Word(granted.Grant.ExpiresAt.ToUnixTimeMilliseconds());
                if (granted.PeerPin is { } pin)
                {
                    // Last and optional, so a client that predates TLS reads the line as before.
                    line.Word(pin);
                }

                break;
            case ConsentConfirmedNotice confirmed:
                line.Word("grant");
                line.Word(confirmed.Grant.Requester);
                line.Word(confirmed.Grant.Token);
                line.Word(confirmed.Grant.ExpiresAt.ToUnixTimeMilliseconds());
                break;
            case ConsentRefusedNotice refused:
                line.Word("refused");
                line.Word(refused.Target);
                line.Word(Kebab(refused.Reason));
                break;
            case HelloNotice hello:
                line.Word("hello");
                line.Word(hello.ServerName);
                line.Word(hello.ProtocolVersion);
                line.Word(hello.HeartbeatInterval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture));
                break;
            case DisplacedNotice displaced:
                line.Word("displaced");
                line.Word(FormatAddress(displaced.NewAddress));
                line.Text($"you logged in from {displaced.NewAddress}; this session is closed");
                break;
            case ByeNotice bye:
                line.Word("bye");
                line.Word(bye.Reason);
                line.Text(bye.Text);
                break;
            default:
                throw new ArgumentException($"No wire form for {notice.GetType().Name}.", nameof(notice));
        }

        line.End();
    }

    /// <summary>The line for <paramref name="notice"/> as UTF-8 bytes, LF included: the form shared notices keep (see <see cref="SessionNotice.GetEncoded{TEncoded}"/>).</summary>
    public static byte[] Encode(SessionNotice notice)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        Write(buffer, notice);
        return buffer.WrittenSpan.ToArray();
    }

    public static string Format(SessionNotice notice)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, notice);
        return Encoding.UTF8.GetString(buffer.WrittenSpan).TrimEnd('\n');
    }

    /// <summary>Parses one server line as <paramref name="self"/> (the logged-in user, who is the implied recipient or requester) receives it.</summary>
    /// <exception cref="FormatException">The line is not a well-formed server line.</exception>
    public static SessionNotice Parse(string line, string self)
    {
        var (kind, tag, fields, text) = Split(line);
        try
        {
            return kind switch
            {
                "ok" => new ReplyNotice(tag, true, fields[0], fields[1..], text),
                "error" => new ReplyNotice(tag, false, fields[0], fields[1..], text),
                "message" or "broadcast" or "private" or "offline" => new MessageNotice(
                    new ChatMessage(
                        ParseId(fields[1]),
                        kind switch { "broadcast" => MessageKind.Broadcast, "private" => MessageKind.Private, _ => MessageKind.Direct },
                        fields[0],
                        kind == "broadcast" ? null : self,
                        text ?? string.Empty,
                        ParseTime(fields[2])),
                    FromOfflineStore: kind == "offline"),
                "presence" => new PresenceNotice(fields[0], fields[1] switch
                {
                    "online" => true,
                    "offline" => false,
                    _ => throw new FormatException($"presence must be online or offline: {line}"),
                }),
                "consent-request" => new ConsentRequestNotice(fields[0]),
                "address" => new AddressGrantedNotice(new PeerGrant(self, fields[0], fields[3], ParseTime(fields[4])), UnwrapAddress(fields[1]), ParseInt(fields[2]))
                {
                    PeerPin = fields.Length > 5 ? TlsCertificates.NormalizePin(fields[5]) ?? throw new FormatException($"peer pin must be 64 hex digits: {line}") : null,
                },
                "grant" => new ConsentConfirmedNotice(new PeerGrant(fields[0], self, fields[1], ParseTime(fields[2]))),
                "refused" => new ConsentRefusedNotice(fields[0], TryParseKebab<ConsentRefusal>(fields[1], out var reason) ? reason : throw new FormatException($"unknown refusal '{fields[1]}'")),
                "hello" => new HelloNotice(fields[0], ParseInt(fields[1]), ParseSeconds(fields[2])),
                "displaced" => new DisplacedNotice(UnwrapAddress(fields[0])),
                "bye" => new ByeNotice(fields[0], text ?? string.Empty),
                _ => throw new FormatException($"unknown line kind '{kind}'"),
            };
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            throw new FormatException($"malformed '{kind}' line: {line}", ex);
        }
    }

    /// <summary>The enum name as a lower-case, hyphenated word: <c>TimedOut</c> → <c>timed-out</c>.</summary>
    public static string Kebab<T>(T value)
        where T : struct, Enum
    {
        var name = value.ToString();
        var sb = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && sb.Length > 0)
            {
                sb.Append('-');
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }

    /// <summary>The inverse of <see cref="Kebab{T}"/>: <c>timed-out</c> → <c>TimedOut</c>.</summary>
    public static bool TryParseKebab<T>(string word, out T value)
        where T : struct, Enum
        => Enum.TryParse(word.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out value);

    internal static (string Kind, string? Tag, string[] Fields, string? Text) Split(string line)
    {
        string? text = null;
        var colon = line.IndexOf(" :", StringComparison.Ordinal);
        var head = line;
        if (colon >= 0)
        {
            text = line[(colon + 2)..];
            head = line[..colon];
        }

        var words = head.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            throw new FormatException("empty line");
        }

        string? tag = null;
        var first = 1;
        if (words.Length > 1 && words[1].StartsWith('#'))
        {
            tag = words[1][1..];
            first = 2;
        }

        return (words[0], tag, words[first..], text);
    }

    // IPv6 addresses are bracketed so no field starts with the colon that introduces text.
    private static string FormatAddress(string address) => address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;

    private static string UnwrapAddress(string field) => field.StartsWith('[') && field.EndsWith(']') ? field[1..^1] : field;

    private static MessageId ParseId(string text)
        => MessageId.TryParse(text, out var id) ? id : throw new FormatException($"bad message id '{text}'");

    // Decimal, not double: the interval is written to the millisecond and must read back to the tick. The client sets a
    // timer with it, so an interval no timer takes (under 1 ms, over 49 days) is malformed rather than a crash later.
    private static TimeSpan ParseSeconds(string text)
    {
        var interval = TimeSpan.FromTicks((long)(decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond));
        return interval >= TimeSpan.FromMilliseconds(1) && interval.TotalMilliseconds <= uint.MaxValue - 1
            ? interval
            : throw new FormatException($"heartbeat interval out of range: {text}");
    }

    private static int ParseInt(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text)
        => DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture));

    /// <summary>
    /// Writes one line's words straight into the output as UTF-8: each word, with the space before it, is encoded or
    /// formatted into one span of the output, so no word becomes an intermediate string.
    /// </summary>
    private ref struct LineBuilder(IBufferWriter<byte> output)
    {
        // Up to this many characters a word is encoded into one span sized for the worst case (3 bytes a character);
        // longer text (a message of kilobytes) goes through the encoder in pieces rather than ask for a huge span.
        private const int OneSpanChars = 1024;

        private readonly IBufferWriter<byte> _output = output;
        private bool _first = true;

        public void Word(string word) => Put(0, word);

        /// <summary>A word with a one-byte prefix (<c>#</c> before a tag), written as one word.</summary>
        public void Word(byte prefix, string word) => Put(prefix, word);

        public void Word(long number)
        {
            var span = Begin(1 + 20, out var at);
            number.TryFormat(span[at..], out var written, default, CultureInfo.InvariantCulture);
            _output.Advance(at + written);
        }

        /// <summary>A message id in its 32-hex-digit form (as <see cref="MessageId.ToString"/> writes it).</summary>
        public void Word(MessageId id)
        {
            var span = Begin(1 + MessageId.TextLength, out var at);
            id.TryFormat(span[at..], out var written);
            _output.Advance(at + written);
        }

        public void Text(string? text)
        {
            if (text is not null)
            {
                Put((byte)':', text);
            }
        }

        public readonly void End()
        {
            _output.GetSpan(1)[0] = (byte)'\n';
            _output.Advance(1);
        }

        private void Put(byte prefix, string text)
        {
            var head = prefix == 0 ? 0 : 1;
            if (text.Length > OneSpanChars)
            {
                var start = Begin(1 + head, out var at);
                if (prefix != 0)
                {
                    start[at++] = prefix;
                }

                _output.Advance(at);
                Encoding.UTF8.GetBytes(text, _output);
                return;
            }

            var span = Begin(1 + head + (text.Length * 3), out var used);
            if (prefix != 0)
            {
                span[used++] = prefix;
            }

            used += Encoding.UTF8.GetBytes(text, span[used..]);
            _output.Advance(used);
        }

        // A span of at least sizeHint bytes with the separator (if this is not the first word) already in it at [0, at).
        private Span<byte> Begin(int sizeHint, out int at)
        {
            var span = _output.GetSpan(sizeHint);
            at = 0;
            if (!_first)
            {
                span[at++] = (byte)' ';
            }

            _first = false;
            return span;
        }
    }
}
