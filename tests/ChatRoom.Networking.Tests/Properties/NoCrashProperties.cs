using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Unicode;
using ChatRoom.Client;
using ChatRoom.Peer;
using ChatRoom.Protocol;
using ChatRoom.Protocol.Commands;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ChatRoom.Networking.Tests.Properties;

/// <summary>
/// No input makes a parser throw anything but its own protocol error: the command parser returns an error, the server
/// line parser throws <see cref="FormatException"/>, reply decoding throws <see cref="ChatProtocolException"/>, the peer
/// parsers return false, and the line reader reports lines. A failure prints the FsCheck seed to replay.
/// </summary>
public sealed class NoCrashProperties
{
    [Property(MaxTest = 400)]
    public Property The_command_parser_answers_any_line_with_a_command_or_one_error_line()
        => Prop.ForAll(WireGen.Hostile.ToArbitrary(), line =>
        {
            if (CommandParser.TryParse(line, out var command, out var error))
            {
                Assert.NotNull(command);
                return;
            }

            var reply = WireFormat.Format(ReplyNotice.Failure(error));
            Assert.Equal(-1, reply.IndexOfAny(['\n', '\r']));
        });

    [Property(MaxTest = 400)]
    public Property Any_server_line_parses_or_is_a_format_error_and_any_reply_decodes_or_is_a_protocol_error()
        => Prop.ForAll(WireGen.Hostile.ToArbitrary(), line =>
        {
            try
            {
                if (WireFormat.Parse(line, WireGen.Self) is ReplyNotice reply)
                {
                    DecodeAll(reply);
                }
            }
            catch (FormatException)
            {
                // The parser's own error.
            }
        });

    [Property(MaxTest = 400)]
    public Property Any_reply_whatever_its_fields_decodes_or_is_a_protocol_error()
        => Prop.ForAll(
            (from ok in Gen.Elements(true, false)
             from head in Gen.Elements("login", "message", "wrong-credentials", "locked", "refused", "getaddress", "broadcast", "x")
             from fields in Gen.ListOf(WireGen.Hostile, 4)
             select new ReplyNotice("1", ok, head, [.. fields], null)).ToArbitrary(),
            DecodeAll);

    [Property(MaxTest = 400)]
    public Property The_peer_parsers_answer_any_line_with_true_or_false()
        => Prop.ForAll(WireGen.Hostile.ToArbitrary(), line =>
        {
            var pmsg = "pmsg 0123456789abcdef0123456789abcdef " + line;
            _ = PeerLineConnection.Split(line);
            _ = PeerWire.TryParseHello(line, out _, out _);
            _ = PeerWire.TryParseMessage(line, out _, out _, out _);
            _ = PeerWire.TryParseMessage(pmsg, out _, out _, out _);
        });

    [Property(MaxTest = 300)]
    public Property The_line_reader_hands_out_any_bytes_as_lines_within_the_limit()
        => Prop.ForAll((from b in WireGen.HostileBytes from l in Gen.Choose(1, 80) from c in Gen.Choose(1, 40) select (b, l, c)).ToArbitrary(), sample =>
        {
            var (bytes, limit, chunk) = sample;
            var lines = ReadAll(bytes, limit, chunk);

            Assert.All(lines, line =>
            {
                Assert.True(line.Status == LineStatus.TooLong || line.Bytes.Length <= limit);
                Assert.DoesNotContain((byte)'\n', line.Bytes);
                Assert.Equal(line.Status == LineStatus.InvalidUtf8, line.Status != LineStatus.TooLong && !Utf8.IsValid(line.Bytes));
            });
            Assert.True(lines.Count <= bytes.Count(b => b == '\n') + 1);
        });

    [Fact]
    public void A_megabyte_line_of_hostile_characters_is_one_error_for_every_parser()
    {
        var line = new StringBuilder().Insert(0, "\0\r\u202E#:é ", 100_000).ToString();

        Assert.False(CommandParser.TryParse("message bob " + line, out _, out var error));
        Assert.Equal(ErrorCodes.BadArgument, error.Code);
        Assert.Throws<FormatException>(() => WireFormat.Parse(line, WireGen.Self));
        Assert.False(PeerWire.TryParseMessage("pmsg " + line, out _, out _, out _));
        var lines = ReadAll(Encoding.UTF8.GetBytes(line + "\nhelp\n"), 64 * 1024, 1 << 20);
        Assert.Equal([LineStatus.TooLong, LineStatus.Complete], lines.Select(l => l.Status));
    }

    private static void DecodeAll(ReplyNotice reply)
    {
        foreach (var command in CommandTable.All)
        {
            try
            {
                _ = command.ReadReply(reply);
            }
            catch (ChatProtocolException)
            {
                // The SDK's own error for a reply it cannot use.
            }
        }
    }

    // Writes the bytes in chunks, reading after each, as a connection's reader loop does.
    private static List<(LineStatus Status, byte[] Bytes)> ReadAll(byte[] bytes, int limit, int chunk)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        var reader = new LineReader(pipe.Reader, limit);
        var lines = new List<(LineStatus, byte[])>();
        void Drain()
        {
            Assert.True(reader.ReadAsync().AsTask().GetAwaiter().GetResult());
            while (reader.TryRead(out var line))
            {
                lines.Add((line.Status, line.Bytes.ToArray()));
            }
        }

        for (var at = 0; at < bytes.Length; at += chunk)
        {
            pipe.Writer.Write(bytes.AsSpan(at, Math.Min(chunk, bytes.Length - at)));
            _ = pipe.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
            Drain();
        }

        pipe.Writer.Complete();
        Drain();
        return lines;
    }
}
