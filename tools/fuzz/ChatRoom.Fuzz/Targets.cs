using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Unicode;
using ChatRoom.Client;
using ChatRoom.Peer;
using ChatRoom.Protocol;
using ChatRoom.Protocol.Commands;
using ChatRoom.Sessions;

namespace ChatRoom.Fuzz;

/// <summary>A broken invariant: reported to the fuzzer as a crash, like any unexpected exception.</summary>
internal sealed class InvariantException(string message) : Exception(message);

/// <summary>
/// The fuzz targets. Each takes raw bytes, drives one parser the way the server or client does, and lets through only
/// exceptions that are bugs: the parser's own protocol error is caught, everything else (and a broken invariant) is a
/// crash.
/// </summary>
internal static class Targets
{
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>
    {
        ["framer"] = Framer,
        ["command"] = Command,
        ["peer"] = Peer,
        ["reply"] = Reply,
    };

    /// <summary>
    /// The line framer and reader. Byte 0 picks the line limit (1..64), byte 1 how the rest is cut into writes; the rest
    /// goes through a pipe of small segments in those pieces, and what the reader hands out is checked against a
    /// plain split of the whole input.
    /// </summary>
    public static void Framer(byte[] input)
    {
        if (input.Length < 2)
        {
            return;
        }

        var max = 1 + (input[0] % 64);
        var seed = (uint)input[1] | 1;
        var data = input.AsSpan(2);

        var pipe = new Pipe(new PipeOptions(pool: MemoryPool<byte>.Shared, minimumSegmentSize: 16, pauseWriterThreshold: 0, useSynchronizationContext: false));
        var reader = new LineReader(pipe.Reader, max);
        var got = new List<(LineStatus Status, byte[] Bytes)>();
        void Drain()
        {
            if (!reader.ReadAsync().AsTask().GetAwaiter().GetResult())
            {
                throw new InvariantException("the reader ended before the writer completed");
            }

            while (reader.TryRead(out var line))
            {
                got.Add((line.Status, line.Bytes.ToArray()));
            }
        }

        var at = 0;
        while (at < data.Length)
        {
            seed = (seed * 1103515245) + 12345;
            var size = Math.Min(data.Length - at, 1 + (int)((seed >> 16) % 23));
            pipe.Writer.Write(data.Slice(at, size));
            pipe.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
            at += size;
            Drain();
        }

        pipe.Writer.Complete();
        Drain();
        if (reader.ReadAsync().AsTask().GetAwaiter().GetResult())
        {
            throw new InvariantException("the reader did not end after the writer completed");
        }

        Expect(data, max, got);
    }

    // What the reader must hand out: each LF-terminated part, less one trailing CR, as a line if it fits, else one
    // TooLong; an unterminated tail over the limit is one TooLong. A part of exactly limit + 1 bytes ending in CR may go
    // either way: whether it fits is only known once its LF arrives, and the reader may report it before.
    private static void Expect(ReadOnlySpan<byte> data, int max, List<(LineStatus Status, byte[] Bytes)> got)
    {
        var index = 0;
        while (true)
        {
            var newline = data.IndexOf((byte)'\n');
            var part = newline < 0 ? data : data[..newline];
            (LineStatus Status, byte[] Bytes)? next = index < got.Count ? got[index] : null;
            if (newline < 0)
            {
                if (part.Length > max)
                {
                    Check(next is { Status: LineStatus.TooLong }, $"line {index}: an unterminated tail of {part.Length} bytes over {max} is one TooLong");
                    index++;
                }

                Check(index == got.Count, $"{got.Count - index} lines handed out that the input does not have");
                return;
            }

            var line = part.Length > 0 && part[^1] == (byte)'\r' ? part[..^1] : part;
            var ambiguous = part.Length == max + 1 && line.Length == max;
            if (line.Length > max || (ambiguous && next is { Status: LineStatus.TooLong }))
            {
                Check(next is { Status: LineStatus.TooLong }, $"line {index}: {line.Length} bytes over {max} must be TooLong");
            }
            else
            {
                Check(next is not null, $"line {index} missing");
                var status = Utf8.IsValid(line) ? LineStatus.Complete : LineStatus.InvalidUtf8;
                Check(next!.Value.Status == status, $"line {index}: {next.Value.Status}, expected {status}");
                Check(line.SequenceEqual(next.Value.Bytes), $"line {index}: bytes differ");
            }

            index++;
            data = data[(newline + 1)..];
        }
    }

    /// <summary>The command parser and each command's argument checks, on a line as the server reads it.</summary>
    public static void Command(byte[] input)
    {
        if (AsLine(input) is not { } line)
        {
            return;
        }

        // The bytes parser the read loop uses must read the line exactly as the string parser does.
        var byBytes = CommandParser.TryParse(new ReadOnlySequence<byte>(input), out var bytesCommand, out var bytesError);
        if (CommandParser.TryParse(line, out var command, out var error))
        {
            Check(byBytes && bytesCommand.Definition == command.Definition && bytesCommand.Tag == command.Tag && bytesCommand.Args.SequenceEqual(command.Args), "the bytes parser reads the line otherwise");
            var spec = command.Spec;
            var most = spec.Required.Length + spec.Optional.Length + (spec.TakesText ? 1 : 0);
            Check(command.Args.Count >= spec.Required.Length && command.Args.Count <= most, $"{spec.Name}: {command.Args.Count} arguments");
            Check(command.Tag is null or { Length: > 0 and <= CommandParser.MaxTagLength }, "tag length");
            return;
        }

        Check(error is not null, "no command and no error");
        Check(!byBytes && bytesError == error, "the bytes parser reads the line otherwise");

        // The error goes back as one line that a client reads as the same error.
        var reply = ReplyNotice.Failure(error!);
        var text = WireFormat.Format(reply);
        Check(text.IndexOfAny(['\n', '\r']) < 0, $"error line breaks the line: {text}");
        Check(WireFormat.Parse(text, "me").Equals(reply), $"error line does not read back: {text}");
    }

    /// <summary>The peer-to-peer lines, as the listener and the sender read them.</summary>
    public static void Peer(byte[] input)
    {
        if (AsLine(input) is not { } line)
        {
            return;
        }

        var (kind, fields, _) = PeerLineConnection.Split(line);
        Check(kind.Length > 0 || fields.Length == 0, "fields without a kind");
        if (PeerWire.TryParseHello(line, out var user, out var token))
        {
            Check(PeerWire.TryParseHello(PeerWire.Hello(user, token), out var u2, out var t2) && u2 == user && t2 == token, "hello does not read back");
        }

        if (PeerWire.TryParseMessage(line, out var id, out var sentAt, out var text))
        {
            var again = PeerWire.Message(id.ToString(), sentAt, text);
            Check(PeerWire.TryParseMessage(again, out var id2, out var at2, out var text2) && id2 == id && at2 == sentAt && text2 == text, "pmsg does not read back");
        }

    }

    /// <summary>The client's reading of server lines, and every command's reading of a reply.</summary>
    public static void Reply(byte[] input)
    {
        if (AsLine(input) is not { } line)
        {
            return;
        }

        SessionNotice notice;
        try
        {
            notice = WireFormat.Parse(line, "me");
        }
        catch (FormatException)
        {
            return;
        }

        Check(!WireFormat.Format(notice).Contains('\n', StringComparison.Ordinal), "a parsed line formats as several");
        if (notice is not ReplyNotice reply)
        {
            return;
        }

        foreach (var command in CommandTable.All)
        {
            try
            {
                _ = command.ReadReply(reply);
            }
            catch (ChatProtocolException)
            {
                // The SDK's answer to a reply it cannot use.
            }
        }
    }

    // A line as the framer hands it out: no LF, and only valid UTF-8 reaches the parsers.
    private static string? AsLine(byte[] input)
        => input.AsSpan().Contains((byte)'\n') || !Utf8.IsValid(input) ? null : Encoding.UTF8.GetString(input);

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvariantException(what);
        }
    }
}
