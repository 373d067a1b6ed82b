using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Protocol;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Protocol;

public sealed class WireFormatTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123);
    private static readonly MessageId Id = MessageId.New(TimeProvider.System);

    public static TheoryData<SessionNotice> EveryKind() =>
    [
        new HelloNotice("ChatRoom", 1, TimeSpan.FromSeconds(30)),
        new HelloNotice("ChatRoom", 1, TimeSpan.FromMilliseconds(400)),
        new ReplyNotice("12", true, "message", ["delivered", "columbia", Id.ToString()], null),
        new ReplyNotice(null, true, "online", [], null),
        new ReplyNotice("7", false, "wrong-credentials", ["2"], "wrong user name or password: 2 attempts left"),
        new ReplyNotice(null, false, "unknown-command", [], "unknown command 'x'; type help"),
        new MessageNotice(new ChatMessage(Id, MessageKind.Direct, "seas", "me", "hello : world", At), false),
        new MessageNotice(new ChatMessage(Id, MessageKind.Direct, "seas", "me", "", At), true),
        new MessageNotice(new ChatMessage(Id, MessageKind.Broadcast, "seas", null, "héllo wörld ✓", At), false),
        new MessageNotice(new ChatMessage(Id, MessageKind.Private, "seas", "me", "psst", At), false),

        // Longer than the formatter encodes in one span, with characters of two, three and four bytes.
        new MessageNotice(new ChatMessage(Id, MessageKind.Direct, "seas", "me", string.Concat(Enumerable.Repeat("é✓😀 x", 400)), At), false),
        new ReplyNotice("abcdefghij123456", false, "server-error", [], new string('日', 2000)),
        new PresenceNotice("seas", true),
        new PresenceNotice("seas", false),
        new ConsentRequestNotice("seas"),
        new AddressGrantedNotice(new PeerGrant("me", "columbia", new string('a', 32), At), "10.1.2.3", 41000),
        new AddressGrantedNotice(new PeerGrant("me", "columbia", new string('b', 32), At), "::1", 41000),
        new ConsentConfirmedNotice(new PeerGrant("seas", "me", new string('c', 32), At)),
        new ConsentRefusedNotice("columbia", ConsentRefusal.TimedOut),
        new ConsentRefusedNotice("columbia", ConsentRefusal.NoPeerPort),
        new DisplacedNotice("10.0.0.2"),
        new DisplacedNotice("fe80::1"),
        new ByeNotice("shutdown", "the server is shutting down"),
    ];

    [Theory]
    [MemberData(nameof(EveryKind))]
    public void Every_line_kind_parses_back_to_what_was_written(SessionNotice notice)
    {
        var line = WireFormat.Format(notice);

        Assert.DoesNotContain('\n', line);
        Assert.Equal(notice, WireFormat.Parse(line, "me"));
    }

    [Fact]
    public void A_message_line_reads_naturally()
    {
        var line = WireFormat.Format(new MessageNotice(new ChatMessage(Id, MessageKind.Direct, "seas", "me", "123", At), false));

        Assert.Equal($"message seas {Id} 1795000000123 :123", line);
    }

    [Fact]
    public void Tags_are_echoed_after_the_kind()
    {
        Assert.Equal("ok #4 block columbia", WireFormat.Format(ReplyNotice.Success("4", "block", "columbia")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("nonsense here")]
    [InlineData("presence seas maybe")]
    [InlineData("message seas not-an-id 12 :x")]
    [InlineData("hello")]
    public void Malformed_server_lines_are_format_errors(string line)
    {
        Assert.Throws<FormatException>(() => WireFormat.Parse(line, "me"));
    }

    [Fact]
    public void Enum_names_become_hyphenated_words()
    {
        Assert.Equal("timed-out", WireFormat.Kebab(ConsentRefusal.TimedOut));
        Assert.Equal("offline", WireFormat.Kebab(ConsentRefusal.Offline));
    }
}
