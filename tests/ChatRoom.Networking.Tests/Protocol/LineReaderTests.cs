using System.IO.Pipelines;
using System.Text;
using ChatRoom.Protocol;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Protocol;

public sealed class LineReaderTests
{
    private readonly Pipe _pipe = new();

    [Fact]
    public async Task Every_complete_line_of_a_read_is_handed_out_before_the_next_read()
    {
        await WriteAsync("one\r\ntwo\nthr");
        var reader = new LineReader(_pipe.Reader, 100);

        Assert.True(await reader.ReadAsync());
        Assert.Equal(["one", "two"], Drain(reader));

        await WriteAsync("ee\n");
        Assert.True(await reader.ReadAsync());
        Assert.Equal(["three"], Drain(reader));
    }

    [Fact]
    public async Task An_over_long_line_is_reported_once_and_the_next_line_reads_normally()
    {
        await WriteAsync("far too long\nok\n");
        var reader = new LineReader(_pipe.Reader, 5);

        await reader.ReadAsync();

        Assert.True(reader.TryRead(out var tooLong));
        Assert.Equal(LineStatus.TooLong, tooLong.Status);
        Assert.True(reader.TryRead(out var ok));
        Assert.Equal((LineStatus.Complete, "ok"), (ok.Status, ok.GetString()));
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public async Task A_line_that_is_not_UTF8_is_reported_with_its_bytes_and_the_next_line_reads_normally()
    {
        await _pipe.Writer.WriteAsync(new byte[] { (byte)'a', 0xC3, 0x28, (byte)'\n', (byte)'b', (byte)'\n' });
        var reader = new LineReader(_pipe.Reader, 100);

        await reader.ReadAsync();

        Assert.True(reader.TryRead(out var bad));
        Assert.Equal((LineStatus.InvalidUtf8, 3L), (bad.Status, bad.Bytes.Length));
        Assert.True(reader.TryRead(out var good));
        Assert.Equal((LineStatus.Complete, "b"), (good.Status, good.GetString()));
    }

    [Fact]
    public async Task A_character_split_across_buffer_segments_is_valid_UTF8()
    {
        var bytes = Encoding.UTF8.GetBytes("n\u00e9\n");
        var reader = new LineReader(PipeReader.Create(LineFramerTests.Segments(bytes[..2], bytes[2..])), 100);
        await reader.ReadAsync();

        Assert.True(reader.TryRead(out var line));
        Assert.Equal((LineStatus.Complete, "n\u00e9"), (line.Status, line.GetString()));
    }

    [Fact]
    public async Task The_end_of_the_stream_ends_reading_after_the_last_complete_line()
    {
        await WriteAsync("last\nunfinished");
        await _pipe.Writer.CompleteAsync();
        var reader = new LineReader(_pipe.Reader, 100);

        Assert.True(await reader.ReadAsync());
        Assert.Equal(["last"], Drain(reader));
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task The_writer_sends_many_lines_with_one_flush()
    {
        var writer = new LineWriter(_pipe.Writer);
        writer.Write("ack 1 2");
        writer.Write(new PresenceNotice("seas", true));
        var reader = new LineReader(_pipe.Reader, 100);
        Assert.False(_pipe.Reader.TryRead(out _)); // nothing is sent before the flush

        Assert.True(await writer.FlushAsync());

        await reader.ReadAsync();
        Assert.Equal(["ack 1 2", "presence seas online"], Drain(reader));
    }

    [Fact]
    public async Task The_writer_reports_a_reader_that_stopped_reading()
    {
        await _pipe.Reader.CompleteAsync();
        var writer = new LineWriter(_pipe.Writer);
        writer.Write("anyone there?");

        Assert.False(await writer.FlushAsync());
    }

    private async Task WriteAsync(string text) => await _pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(text));

    private static List<string> Drain(LineReader reader)
    {
        var lines = new List<string>();
        while (reader.TryRead(out var line))
        {
            lines.Add(line.GetString());
        }

        return lines;
    }
}
