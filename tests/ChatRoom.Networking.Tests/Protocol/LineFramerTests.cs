using System.Buffers;
using System.Text;
using ChatRoom.Protocol;

namespace ChatRoom.Networking.Tests.Protocol;

public sealed class LineFramerTests
{
    [Fact]
    public void Lines_end_at_LF_or_CRLF_and_an_unfinished_line_waits()
    {
        var (lines, rest) = Frame(new LineFramer(100), "one\r\ntwo\nthr");

        Assert.Equal(["one", "two"], lines);
        Assert.Equal("thr", rest);
    }

    [Fact]
    public void A_line_split_across_segments_is_read_whole()
    {
        var framer = new LineFramer(100);
        var buffer = Segments("lo", "gin se", "as x\nnext");

        Assert.Equal(FrameStatus.Line, framer.TryRead(ref buffer, out var line));
        Assert.Equal("login seas x", Encoding.UTF8.GetString(line));
        Assert.Equal(FrameStatus.NeedMore, framer.TryRead(ref buffer, out _));
    }

    [Fact]
    public void A_line_exactly_at_the_limit_is_accepted()
    {
        var (lines, _) = Frame(new LineFramer(5), "12345\n");

        Assert.Equal(["12345"], lines);
    }

    [Fact]
    public void An_over_long_line_is_reported_once_and_skipped_up_to_its_newline_even_across_reads()
    {
        var framer = new LineFramer(5);
        var buffer = Segments("123456789");

        Assert.Equal(FrameStatus.TooLong, framer.TryRead(ref buffer, out _));
        Assert.Equal(0, buffer.Length);

        buffer = Segments("more junk\nok\n");
        Assert.Equal(FrameStatus.Line, framer.TryRead(ref buffer, out var line));
        Assert.Equal("ok", Encoding.UTF8.GetString(line));
    }

    [Fact]
    public void An_over_long_complete_line_is_reported_and_the_next_read_normally()
    {
        var framer = new LineFramer(3);
        var buffer = Segments("abcdef\nab\n");

        Assert.Equal(FrameStatus.TooLong, framer.TryRead(ref buffer, out _));
        Assert.Equal(FrameStatus.Line, framer.TryRead(ref buffer, out var line));
        Assert.Equal("ab", Encoding.UTF8.GetString(line));
    }

    private static (List<string> Lines, string Remainder) Frame(LineFramer framer, string text)
    {
        var buffer = Segments(text);
        var lines = new List<string>();
        while (framer.TryRead(ref buffer, out var line) == FrameStatus.Line)
        {
            lines.Add(Encoding.UTF8.GetString(line));
        }

        return (lines, Encoding.UTF8.GetString(buffer));
    }

    /// <summary>A byte sequence made of one segment per part, as a socket may deliver it.</summary>
    internal static ReadOnlySequence<byte> Segments(params string[] parts) => Segments(parts.Select(Encoding.UTF8.GetBytes).ToArray());

    /// <summary>A byte sequence made of one segment per part, cut wherever the test likes (even inside a character).</summary>
    internal static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        Segment? first = null, last = null;
        foreach (var part in parts)
        {
            var segment = new Segment(part, last);
            first ??= segment;
            last = segment;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, Segment? previous)
        {
            Memory = bytes;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
