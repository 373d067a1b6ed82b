using System.Buffers;
using System.Globalization;
using System.Text.Json;
using ChatRoom.Cluster;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Sessions;

namespace ChatRoom.Storage.Redis.Cluster;

/// <summary>
/// The JSON form of what nodes exchange and keep in Redis: signals, sessions and consent questions. Enums travel by
/// name and times as round-trip text, so a node of another version reads them, or fails with a clear error.
/// </summary>
internal static class ClusterCodec
{
    public static byte[] Encode(string sender, ClusterSignal signal)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("from", sender);
            switch (signal)
            {
                case DeliverSignal deliver:
                    json.WriteString("t", "deliver");
                    json.WriteString("user", deliver.User);
                    json.WriteNumber("seq", deliver.Message.Sequence);
                    WriteMessage(json, "msg", deliver.Message.Message);
                    break;
                case BroadcastSignal broadcast:
                    json.WriteString("t", "broadcast");
                    WriteMessage(json, "msg", broadcast.Message);
                    break;
                case PresenceSignal presence:
                    json.WriteString("t", "presence");
                    json.WriteString("user", presence.User);
                    break;
                case SessionEndedSignal ended:
                    json.WriteString("t", "ended");
                    WriteSession(json, "session", ended.Session);
                    json.WriteString("reason", ended.Reason.ToString());
                    json.WriteString("by", ended.ByAddress);
                    break;
                case NoticeSignal notice:
                    json.WriteString("t", "notice");
                    json.WriteString("session", notice.Session.Value.ToString("N"));
                    WriteNotice(json, notice.Notice);
                    break;
                default:
                    throw new ArgumentException($"No wire form for {signal.GetType().Name}.", nameof(signal));
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a signal and the node that sent it.</summary>
    /// <exception cref="FormatException">Not a signal this version knows.</exception>
    public static (string Sender, ClusterSignal Signal) Decode(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            var sender = Text(root, "from");
            ClusterSignal signal = Text(root, "t") switch
            {
                "deliver" => new DeliverSignal(Text(root, "user"), new StoredMessage(root.GetProperty("seq").GetInt64(), ReadMessage(root.GetProperty("msg")))),
                "broadcast" => new BroadcastSignal(ReadMessage(root.GetProperty("msg"))),
                "presence" => new PresenceSignal(Text(root, "user")),
                "ended" => new SessionEndedSignal(ReadSession(root.GetProperty("session")), Name<LogoutReason>(root, "reason"), root.GetProperty("by").GetString()),
                "notice" => new NoticeSignal(new SessionId(Guid.ParseExact(Text(root, "session"), "N")), ReadNotice(root)),
                var other => throw new FormatException($"unknown signal '{other}'"),
            };
            return (sender, signal);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"not a ChatRoom cluster signal: {ex.Message}", ex);
        }
    }

    public static string EncodeSession(SessionInfo session)
    {
        var buffer = new ArrayBufferWriter<byte>(192);
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteSessionObject(json, session);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static SessionInfo DecodeSession(string text)
    {
        using var document = JsonDocument.Parse(text);
        return ReadSession(document.RootElement);
    }

    public static string EncodeQuestion(ConsentQuestion question)
    {
        var buffer = new ArrayBufferWriter<byte>(384);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", question.Id.ToString("N"));
            WriteSession(json, "requester", question.Requester);
            WriteSession(json, "target", question.Target);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static ConsentQuestion DecodeQuestion(string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        return new ConsentQuestion(Guid.ParseExact(Text(root, "id"), "N"), ReadSession(root.GetProperty("requester")), ReadSession(root.GetProperty("target")));
    }

    private static void WriteMessage(Utf8JsonWriter json, string name, ChatMessage message)
    {
        json.WriteStartObject(name);
        json.WriteString("id", message.Id.ToString());
        json.WriteString("kind", message.Kind.ToString());
        json.WriteString("from", message.From);
        json.WriteString("to", message.To);
        json.WriteString("text", message.Text);
        json.WriteString("at", message.SentAt.ToString("O", CultureInfo.InvariantCulture));
        json.WriteEndObject();
    }

    private static ChatMessage ReadMessage(JsonElement element)
    {
        if (!MessageId.TryParse(Text(element, "id"), out var id))
        {
            throw new FormatException("bad message id");
        }

        return new ChatMessage(id, Name<MessageKind>(element, "kind"), Text(element, "from"), element.GetProperty("to").GetString(), Text(element, "text"), Time(element, "at"));
    }

    private static void WriteSession(Utf8JsonWriter json, string name, SessionInfo session)
    {
        json.WritePropertyName(name);
        WriteSessionObject(json, session);
    }

    private static void WriteSessionObject(Utf8JsonWriter json, SessionInfo session)
    {
        json.WriteStartObject();
        json.WriteString("id", session.Id.Value.ToString("N"));
        json.WriteString("user", session.User);
        json.WriteString("addr", session.RemoteAddress);
        if (session.PeerPort is { } port)
        {
            json.WriteNumber("port", port);
        }

        json.WriteString("login", session.LoginTime.ToString("O", CultureInfo.InvariantCulture));
        json.WriteString("beat", session.LastHeartbeat.ToString("O", CultureInfo.InvariantCulture));
        json.WriteString("paddr", session.PeerAddress);
        json.WriteString("pin", session.PeerPin);
        json.WriteString("node", session.Node);
        json.WriteEndObject();
    }

    private static SessionInfo ReadSession(JsonElement element)
        => new(
            new SessionId(Guid.ParseExact(Text(element, "id"), "N")),
            Text(element, "user"),
            Text(element, "addr"),
            element.TryGetProperty("port", out var port) ? port.GetInt32() : null,
            Time(element, "login"),
            Time(element, "beat"))
        {
            PeerAddress = element.GetProperty("paddr").GetString(),
            PeerPin = element.GetProperty("pin").GetString(),
            Node = element.GetProperty("node").GetString(),
        };

    private static void WriteNotice(Utf8JsonWriter json, SessionNotice notice)
    {
        switch (notice)
        {
            case PresenceNotice presence:
                json.WriteString("n", "presence");
                json.WriteString("user", presence.User);
                json.WriteBoolean("online", presence.Online);
                break;
            case ConsentRequestNotice request:
                json.WriteString("n", "consent-request");
                json.WriteString("user", request.Requester);
                break;
            case ConsentRefusedNotice refused:
                json.WriteString("n", "consent-refused");
                json.WriteString("user", refused.Target);
                json.WriteString("reason", refused.Reason.ToString());
                break;
            case ConsentConfirmedNotice confirmed:
                json.WriteString("n", "consent-confirmed");
                WriteGrant(json, confirmed.Grant);
                break;
            case AddressGrantedNotice granted:
                json.WriteString("n", "address-granted");
                WriteGrant(json, granted.Grant);
                json.WriteString("addr", granted.Address);
                json.WriteNumber("port", granted.Port);
                json.WriteString("pin", granted.PeerPin);
                break;
            default:
                throw new ArgumentException($"No wire form for {notice.GetType().Name}.", nameof(notice));
        }
    }

    private static SessionNotice ReadNotice(JsonElement root) => Text(root, "n") switch
    {
        "presence" => new PresenceNotice(Text(root, "user"), root.GetProperty("online").GetBoolean()),
        "consent-request" => new ConsentRequestNotice(Text(root, "user")),
        "consent-refused" => new ConsentRefusedNotice(Text(root, "user"), Name<ConsentRefusal>(root, "reason")),
        "consent-confirmed" => new ConsentConfirmedNotice(ReadGrant(root.GetProperty("grant"))),
        "address-granted" => new AddressGrantedNotice(ReadGrant(root.GetProperty("grant")), Text(root, "addr"), root.GetProperty("port").GetInt32())
        {
            PeerPin = root.GetProperty("pin").GetString(),
        },
        var other => throw new FormatException($"unknown notice '{other}'"),
    };

    private static void WriteGrant(Utf8JsonWriter json, PeerGrant grant)
    {
        json.WriteStartObject("grant");
        json.WriteString("requester", grant.Requester);
        json.WriteString("target", grant.Target);
        json.WriteString("token", grant.Token);
        json.WriteString("expires", grant.ExpiresAt.ToString("O", CultureInfo.InvariantCulture));
        json.WriteEndObject();
    }

    private static PeerGrant ReadGrant(JsonElement element)
        => new(Text(element, "requester"), Text(element, "target"), Text(element, "token"), Time(element, "expires"));

    private static string Text(JsonElement element, string name)
        => element.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is missing");

    // Enum.Parse also takes numbers and lists ("99", "A, B"): a value this version does not name would pass as a new one.
    private static T Name<T>(JsonElement element, string name)
        where T : struct, Enum
    {
        var text = Text(element, name);
        return Enum.TryParse<T>(text, out var value) && Enum.IsDefined(value) && string.Equals(value.ToString(), text, StringComparison.Ordinal)
            ? value
            : throw new FormatException($"'{name}' is not a {typeof(T).Name} this version knows: '{text}'");
    }

    private static DateTimeOffset Time(JsonElement element, string name)
        => DateTimeOffset.ParseExact(Text(element, name), "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
