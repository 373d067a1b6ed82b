using System.Buffers;
using System.Text;
using ChatRoom.Protocol;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ChatRoom.Networking.Tests.Properties;

/// <summary>
/// The bytes parser the read loop uses reads every line as the string parser reads the same bytes decoded as UTF-8: the
/// same command, tag and arguments, or the same error. A failure prints the FsCheck seed to replay.
/// </summary>
public sealed class ParserAgreementProperties
{
    // Every character char.IsWhiteSpace knows, so trimming is exercised with each of them, one to three bytes long.
    private static readonly string[] s_whiteSpace = [.. Enumerable.Range(0, 0x10000).Select(c => (char)c).Where(char.IsWhiteSpace).Select(c => c.ToString())];

    // Lines built from words the parser cares about, joined by any white space, with invalid UTF-8 here and there.
    private static readonly Gen<byte[]> s_spacedLines =
        from count in Gen.Choose(0, 8)
        from words in Gen.ArrayOf(Gen.OneOf(WireGen.Word, Gen.Elements("message", "MeSsAgE", "login", "ack", "#7", "#", "#tag!", "bob", "4000", "-", "\uFFFD", "hi there")), count)
        from gaps in Gen.ArrayOf(Gen.OneOf(Gen.Elements(" ", "\t", "  ", string.Empty), Gen.Elements(s_whiteSpace)), count + 1)
        from junk in Gen.Elements<byte[]>([], [], [0xFF], [0xC2], [0xE2, 0x80], [0x80, 0xA8], [0xED, 0xA0, 0x80])
        from at in Gen.Choose(0, count)
        select (byte[])[
            .. Encoding.UTF8.GetBytes(string.Concat(words.Take(at).Select((w, i) => gaps[i] + w))),
            .. junk,
            .. Encoding.UTF8.GetBytes(string.Concat(words.Skip(at).Select((w, i) => gaps[at + i] + w)) + gaps[count])];

    [Property(MaxTest = 1000)]
    public Property The_bytes_parser_agrees_with_the_string_parser_on_any_bytes()
        => Prop.ForAll(Gen.OneOf(WireGen.HostileBytes, s_spacedLines).ToArbitrary(), AssertAgree);

    [Property(MaxTest = 500)]
    public Property The_bytes_parser_agrees_with_the_string_parser_on_any_hostile_line()
        => Prop.ForAll(WireGen.Hostile.ToArbitrary(), line => AssertAgree(Encoding.UTF8.GetBytes(line)));

    [Property(MaxTest = 500)]
    public Property A_line_split_across_buffer_segments_parses_as_the_whole_line()
        => Prop.ForAll(
            (from bytes in s_spacedLines
             from cuts in Gen.ArrayOf(Gen.Choose(0, bytes.Length), 3)
             select (bytes, cuts)).ToArbitrary(),
            sample =>
            {
                var (bytes, cuts) = sample;
                var whole = Parse(new ReadOnlySequence<byte>(bytes));
                var split = Parse(Segments(bytes, cuts));

                Assert.Equal(whole, split);
            });

    [Fact]
    public void Every_white_space_character_is_trimmed_and_kept_as_the_string_parser_does()
    {
        for (var c = 0; c < 0x10000; c++)
        {
            if (char.IsSurrogate((char)c))
            {
                continue;
            }

            var s = ((char)c).ToString();
            AssertAgree(Encoding.UTF8.GetBytes($"{s}message{s}bob{s}hi{s}there{s}"));
            AssertAgree(Encoding.UTF8.GetBytes($"#1{s}login{s}bob pw{s}"));
        }
    }

    [Fact]
    public void A_line_longer_than_the_stack_copy_split_across_segments_parses_whole()
    {
        var bytes = Encoding.UTF8.GetBytes("#9 message bob " + new string('é', 3000));

        Assert.Equal(Parse(new ReadOnlySequence<byte>(bytes)), Parse(Segments(bytes, [100, 4000])));
        Assert.True(CommandParser.TryParse(Segments(bytes, [100, 4000]), out var command, out _));
        Assert.Equal(new string('é', 3000), command.Args[1]);
    }

    private static void AssertAgree(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var expected = (CommandParser.TryParse(text, out var command, out var error), command, error);
        var actual = (CommandParser.TryParse(new ReadOnlySpan<byte>(bytes), out var byBytes, out var byBytesError), byBytes, byBytesError);

        Assert.Equal(expected.Item1, actual.Item1);
        Assert.Equal(Describe(expected.command, expected.error), Describe(actual.byBytes, actual.byBytesError));
        Assert.Equal(CommandParser.KnownVerb(text), CommandParser.KnownVerb(new ReadOnlySequence<byte>(bytes)));
    }

    private static string Parse(ReadOnlySequence<byte> line)
        => CommandParser.TryParse(line, out var command, out var error) ? Describe(command, null) : Describe(null, error);

    private static string Describe(ClientCommand? command, ProtocolError? error)
        => command is not null
            ? $"{command.Definition.Name} tag={command.Tag ?? "<none>"} args=[{string.Join("|", command.Args)}]"
            : $"error {error}";

    private static ReadOnlySequence<byte> Segments(byte[] bytes, int[] cuts)
    {
        var points = cuts.Append(0).Append(bytes.Length).Distinct().Order().ToArray();
        Segment? first = null, last = null;
        for (var i = 0; i + 1 < points.Length; i++)
        {
            var piece = bytes.AsMemory(points[i], points[i + 1] - points[i]);
            last = last is null ? first = new Segment(piece, 0) : last.Append(piece);
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
