using System.IO.Pipelines;
using System.Text;
using ChatRoom.Messaging;
using ChatRoom.Protocol;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Protocol;

/// <summary>A presence change or a broadcast is one notice for every recipient: formatted once, copied by every writer.</summary>
public sealed class SharedNoticeEncodingTests
{
    public static TheoryData<SessionNotice> Shared => new()
    {
        new PresenceNotice("seas", true),
        new MessageNotice(new ChatMessage(MessageId.New(TimeProvider.System), MessageKind.Broadcast, "seas", null, "hi all", DateTimeOffset.FromUnixTimeMilliseconds(1795619261010)), FromOfflineStore: false),
    };

    [Theory]
    [MemberData(nameof(Shared))]
    public async Task A_shared_notice_is_formatted_by_the_first_writer_and_copied_by_the_next(SessionNotice notice)
    {
        var first = await WriteAsync(notice);
        var kept = notice.GetEncoded<byte[]>(_ => throw new InvalidOperationException("formatted twice"));

        Assert.Equal(WireFormat.Format(notice) + "\n", first);
        Assert.Equal(first, Encoding.UTF8.GetString(kept));
        Assert.Equal(first, await WriteAsync(notice));
    }

    [Fact]
    public async Task A_direct_message_is_formatted_straight_into_the_pipe_and_keeps_nothing()
    {
        var notice = new MessageNotice(new ChatMessage(MessageId.New(TimeProvider.System), MessageKind.Direct, "seas", "columbia", "hi", DateTimeOffset.FromUnixTimeMilliseconds(1795619261010)), FromOfflineStore: false);
        await WriteAsync(notice);

        Assert.Equal([9], notice.GetEncoded(_ => new byte[] { 9 }));
    }

    private static async Task<string> WriteAsync(SessionNotice notice)
    {
        var pipe = new Pipe();
        var writer = new LineWriter(pipe.Writer);
        writer.Write(notice);
        await writer.FlushAsync();
        await pipe.Writer.CompleteAsync();
        var read = await pipe.Reader.ReadAsync();
        var text = Encoding.UTF8.GetString(read.Buffer);
        pipe.Reader.AdvanceTo(read.Buffer.End);
        return text;
    }
}
