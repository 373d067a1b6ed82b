using System.Text;
using ChatRoom.Cluster;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Sessions;
using ChatRoom.Storage.Redis.Cluster;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

public sealed class ClusterCodecTests
{
    private static readonly DateTimeOffset s_plus = new(2026, 11, 27, 9, 15, 30, 123, TimeSpan.FromHours(5.5));
    private static readonly DateTimeOffset s_minus = new DateTimeOffset(2025, 2, 28, 23, 59, 59, TimeSpan.FromHours(-8)).AddTicks(1234567);

    public static TheoryData<ClusterSignal> Signals()
    {
        var data = new TheoryData<ClusterSignal>
        {
            new DeliverSignal("zoë 🐧", new StoredMessage(long.MaxValue, Message(MessageKind.Direct, "to \"you\"\\ \u0001"))),
            new DeliverSignal("bob", new StoredMessage(1, Message(MessageKind.Private, "") with { SentAt = s_minus })),
            new BroadcastSignal(Message(MessageKind.Broadcast, "héllo\nwörld 𝄞") with { To = null }),
            new PresenceSignal("用户"),
            new NoticeSignal(SessionId.New(), new PresenceNotice("ann", Online: true)),
            new NoticeSignal(SessionId.New(), new PresenceNotice("ann", Online: false)),
            new NoticeSignal(SessionId.New(), new ConsentRequestNotice("réquester")),
            new NoticeSignal(SessionId.New(), new ConsentConfirmedNotice(new PeerGrant("a", "b", new string('f', 32), s_plus))),
            new NoticeSignal(SessionId.New(), new AddressGrantedNotice(new PeerGrant("a", "b", "00", s_minus), "::1", 65535)),
            new NoticeSignal(SessionId.New(), new AddressGrantedNotice(new PeerGrant("a", "b", "00", s_plus), "10.0.0.1", 1) { PeerPin = new string('A', 64) }),
        };
        foreach (var refusal in Enum.GetValues<ConsentRefusal>())
        {
            data.Add(new NoticeSignal(SessionId.New(), new ConsentRefusedNotice("t:{x}", refusal)));
        }

        foreach (var reason in Enum.GetValues<LogoutReason>())
        {
            data.Add(new SessionEndedSignal(FullSession(), reason, reason == LogoutReason.Displaced ? "192.0.2.7" : null));
            data.Add(new SessionEndedSignal(BareSession(), reason));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Signals))]
    public void Every_signal_round_trips_exactly(ClusterSignal signal)
    {
        var (sender, decoded) = ClusterCodec.Decode(ClusterCodec.Encode("node-a.1_x", signal));

        Assert.Equal("node-a.1_x", sender);
        Assert.Equal(signal, decoded);
        Assert.Equal(Times(signal), Times(decoded));
    }

    [Fact]
    public void A_session_round_trips_with_every_field_and_without_the_optional_ones()
    {
        foreach (var session in new[] { FullSession(), BareSession() })
        {
            var decoded = ClusterCodec.DecodeSession(ClusterCodec.EncodeSession(session));
            Assert.Equal(session, decoded);
            Assert.Equal(Times(session), Times(decoded));
        }
    }

    [Fact]
    public void A_consent_question_round_trips()
    {
        var question = new ConsentQuestion(Guid.NewGuid(), FullSession(), BareSession());
        var decoded = ClusterCodec.DecodeQuestion(ClusterCodec.EncodeQuestion(question));

        Assert.Equal(question, decoded);
        Assert.Equal(Times(question.Requester).Concat(Times(question.Target)), Times(decoded.Requester).Concat(Times(decoded.Target)));
    }

    [Fact]
    public void Random_users_and_texts_round_trip()
    {
        var random = new Random(12);
        for (var i = 0; i < 2_000; i++)
        {
            var user = RandomText(random, 1 + random.Next(40));
            var text = RandomText(random, random.Next(300));
            var signals = new ClusterSignal[]
            {
                new DeliverSignal(user, new StoredMessage(random.NextInt64(), Message(MessageKind.Direct, text) with { From = RandomText(random, 5), To = user })),
                new BroadcastSignal(Message(MessageKind.Broadcast, text) with { From = user, To = null }),
                new PresenceSignal(user),
                new NoticeSignal(SessionId.New(), new ConsentRequestNotice(user)),
                new SessionEndedSignal(FullSession() with { User = user, RemoteAddress = text }, LogoutReason.Displaced, text),
            };
            foreach (var signal in signals)
            {
                var (sender, decoded) = ClusterCodec.Decode(ClusterCodec.Encode(user, signal));
                Assert.Equal(user, sender);
                Assert.Equal(signal, decoded);
            }
        }
    }

    public static TheoryData<string> Garbage() => new()
    {
        "",
        " ",
        "null",
        "42",
        "\"deliver\"",
        "[]",
        "{}",
        "{\"from\":\"a\"}",
        "{\"from\":\"a\",\"t\":null}",
        "{\"from\":\"a\",\"t\":7}",
        "{\"from\":\"a\",\"t\":\"shout\"}",
        "{\"from\":\"a\",\"t\":\"presence\"",
        "{\"from\":\"a\",\"t\":\"presence\",\"user\":\"b\"} trailing",
        "{\"from\":\"a\",\"t\":\"presence\",\"user\":[\"b\"]}",
        "{\"from\":{},\"t\":\"presence\",\"user\":\"b\"}",
        "{\"from\":\"a\",\"t\":\"deliver\",\"user\":\"b\",\"seq\":\"1\",\"msg\":{}}",
        "{\"from\":\"a\",\"t\":\"deliver\",\"user\":\"b\",\"seq\":1e400,\"msg\":{}}",
        "{\"from\":\"a\",\"t\":\"deliver\",\"user\":\"b\",\"seq\":1,\"msg\":{\"id\":\"xyz\"}}",
        "{\"from\":\"a\",\"t\":\"deliver\",\"user\":\"b\",\"seq\":1,\"msg\":{\"id\":\"0123456789abcdef0123456789abcdef\",\"kind\":\"Shout\",\"from\":\"a\",\"to\":null,\"text\":\"\",\"at\":\"2026-01-01T00:00:00.0000000+00:00\"}}",
        "{\"from\":\"a\",\"t\":\"deliver\",\"user\":\"b\",\"seq\":1,\"msg\":{\"id\":\"0123456789abcdef0123456789abcdef\",\"kind\":\"Direct\",\"from\":\"a\",\"to\":null,\"text\":\"\",\"at\":\"yesterday\"}}",
        "{\"from\":\"a\",\"t\":\"deliver\",\"user\":\"b\",\"seq\":1,\"msg\":{\"id\":\"0123456789abcdef0123456789abcdef\",\"kind\":\"Direct\",\"from\":\"a\",\"to\":null,\"text\":\"\",\"at\":\"0001-01-01T00:00:00.0000000+14:00\"}}",
        "{\"from\":\"a\",\"t\":\"broadcast\",\"msg\":\"hi\"}",
        "{\"from\":\"a\",\"t\":\"notice\",\"session\":\"0123456789abcdef0123456789abcdef\",\"n\":\"wink\",\"user\":\"b\"}",
        "{\"from\":\"a\",\"t\":\"notice\",\"session\":\"0123456789abcdef0123456789abcdef\",\"n\":null}",
        "{\"from\":\"a\",\"t\":\"notice\",\"session\":\"not-a-guid\",\"n\":\"presence\",\"user\":\"b\",\"online\":true}",
        "{\"from\":\"a\",\"t\":\"notice\",\"session\":\"0123456789abcdef0123456789abcdef\",\"n\":\"presence\",\"user\":\"b\",\"online\":\"yes\"}",
        "{\"from\":\"a\",\"t\":\"notice\",\"session\":\"0123456789abcdef0123456789abcdef\",\"n\":\"address-granted\",\"grant\":{\"requester\":\"a\",\"target\":\"b\",\"token\":\"00\",\"expires\":\"2026-01-01T00:00:00.0000000+00:00\"},\"addr\":\"::1\",\"port\":70000.5,\"pin\":null}",
        "{\"from\":\"a\",\"t\":\"notice\",\"session\":\"0123456789abcdef0123456789abcdef\",\"n\":\"consent-refused\",\"user\":\"b\",\"reason\":\"Bored\"}",
        "{\"from\":\"a\",\"t\":\"ended\",\"session\":{\"id\":\"0123456789abcdef0123456789abcdef\"},\"reason\":\"Expired\",\"by\":null}",
        "{\"from\":\"a\",\"t\":\"ended\",\"session\":{\"id\":\"0123456789abcdef0123456789abcdef\",\"user\":\"u\",\"addr\":\"::1\",\"port\":null,\"login\":\"2026-01-01T00:00:00.0000000+00:00\",\"beat\":\"2026-01-01T00:00:00.0000000+00:00\",\"paddr\":null,\"pin\":null,\"node\":null},\"reason\":\"Expired\",\"by\":null}",
        "{\"from\":\"a\",\"t\":\"ended\",\"session\":{\"id\":\"0123456789abcdef0123456789abcdef\",\"user\":\"u\",\"addr\":\"::1\",\"login\":\"2026-01-01T00:00:00.0000000+00:00\",\"beat\":\"2026-01-01T00:00:00.0000000+00:00\",\"paddr\":null,\"pin\":null,\"node\":null},\"reason\":\"Bored\",\"by\":null}",
        new string('[', 10_000),
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Garbage_is_a_format_exception(string text)
        => Assert.Throws<FormatException>(() => ClusterCodec.Decode(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Invalid_utf8_is_a_format_exception()
    {
        byte[] bytes = [.. "{\"from\":\"a\",\"t\":\"presence\",\"user\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8];
        Assert.Throws<FormatException>(() => ClusterCodec.Decode(bytes));
    }

    [Theory]
    [InlineData("\"reason\":\"Expired\"", "\"reason\":\"99\"")]
    [InlineData("\"reason\":\"Expired\"", "\"reason\":\"Requested, Expired\"")]
    [InlineData("\"reason\":\"Expired\"", "\"reason\":\"expired\"")]
    public void An_enum_value_this_version_does_not_name_is_a_format_exception(string good, string bad)
    {
        var text = Encoding.UTF8.GetString(ClusterCodec.Encode("a", new SessionEndedSignal(BareSession(), LogoutReason.Expired)));
        Assert.Contains(good, text, StringComparison.Ordinal);

        Assert.Throws<FormatException>(() => ClusterCodec.Decode(Encoding.UTF8.GetBytes(text.Replace(good, bad, StringComparison.Ordinal))));
    }

    [Theory]
    [InlineData("\"kind\":\"99\"")]
    [InlineData("\"kind\":\"-1\"")]
    public void A_message_kind_this_version_does_not_name_is_a_format_exception(string bad)
    {
        var text = Encoding.UTF8.GetString(ClusterCodec.Encode("a", new BroadcastSignal(Message(MessageKind.Broadcast, "x"))));
        Assert.Throws<FormatException>(() => ClusterCodec.Decode(Encoding.UTF8.GetBytes(text.Replace("\"kind\":\"Broadcast\"", bad, StringComparison.Ordinal))));
    }

    [Fact]
    public void Every_truncation_of_every_signal_is_a_format_exception()
    {
        foreach (var signal in ((IEnumerable<object[]>)Signals()).Select(static row => (ClusterSignal)row[0]))
        {
            var bytes = ClusterCodec.Encode("node", signal);
            for (var length = 0; length < bytes.Length; length++)
            {
                Assert.Throws<FormatException>(() => ClusterCodec.Decode(bytes.AsMemory(0, length)));
            }
        }
    }

    [Fact]
    public void Random_bytes_never_throw_anything_but_a_format_exception()
    {
        var random = new Random(7);
        var good = ClusterCodec.Encode("node", new SessionEndedSignal(FullSession(), LogoutReason.Displaced, "::1"));
        for (var i = 0; i < 20_000; i++)
        {
            // Flip a few bytes of a good signal, so most attempts get past the JSON parser into the field checks.
            var bytes = good.ToArray();
            for (var flips = 1 + random.Next(3); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            try
            {
                ClusterCodec.Decode(bytes);
            }
            catch (FormatException)
            {
            }
        }
    }

    internal static SessionInfo FullSession()
        => new(SessionId.New(), "ünïcode 🐧 {user}:x", "2001:db8::1", 40_000, s_plus, s_minus)
        {
            PeerAddress = "peer.example",
            PeerPin = new string('c', 64),
            Node = "node-b",
        };

    internal static SessionInfo BareSession() => new(SessionId.New(), "bare", "127.0.0.1", null, s_minus, s_plus);

    private static ChatMessage Message(MessageKind kind, string text) => new(MessageId.New(TimeProvider.System), kind, "from-ü", "to-ß", text, s_plus);

    private static string RandomText(Random random, int length)
    {
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            var kind = random.Next(10);
            var rune = kind switch
            {
                0 => random.Next(0x20),
                1 => "\"\\{}:/\u2028\u2029"[random.Next(8)],
                2 => random.Next(0x10000, 0x110000),
                3 => random.Next(0x80, 0xD800),
                4 => random.Next(0xE000, 0x10000),
                _ => random.Next(0x20, 0x7F),
            };
            text.Append(char.ConvertFromUtf32(rune));
        }

        return text.ToString();
    }

    // DateTimeOffset equality ignores the offset; the codec must keep it.
    private static IEnumerable<string> Times(object value) => value switch
    {
        DeliverSignal d => Times(d.Message.Message),
        BroadcastSignal b => Times(b.Message),
        SessionEndedSignal e => Times(e.Session),
        NoticeSignal { Notice: ConsentConfirmedNotice c } => [Exact(c.Grant.ExpiresAt)],
        NoticeSignal { Notice: AddressGrantedNotice g } => [Exact(g.Grant.ExpiresAt)],
        ChatMessage m => [Exact(m.SentAt)],
        SessionInfo s => [Exact(s.LoginTime), Exact(s.LastHeartbeat)],
        _ => [],
    };

    private static string Exact(DateTimeOffset time) => $"{time.Ticks}{time.Offset}";
}
