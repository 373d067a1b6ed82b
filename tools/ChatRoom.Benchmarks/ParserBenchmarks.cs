using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using ChatRoom.Protocol;

namespace ChatRoom.Benchmarks;

/// <summary>
/// The command parser on three lines: a 64-byte <c>message</c>, an <c>ack</c> of 128 ids and a <c>login</c>. The
/// string parser is measured from the line's bytes (decode, then parse), since that is what the read loop hands it; the
/// bytes parser reads them where they lie.
/// </summary>
[MemoryDiagnoser]
public class ParserBenchmarks
{
    private readonly ReadOnlySequence<byte> _message = new(Samples.Bytes(Samples.MessageLine));
    private readonly ReadOnlySequence<byte> _ack = new(Samples.Bytes(Samples.AckLine));
    private readonly ReadOnlySequence<byte> _login = new(Samples.Bytes(Samples.LoginLine));

    [Benchmark]
    public object String_parser_message() => ParseString(_message);

    [Benchmark]
    public object String_parser_ack_128_ids() => ParseString(_ack);

    [Benchmark]
    public object String_parser_login() => ParseString(_login);

    [Benchmark]
    public object Bytes_parser_message() => ParseBytes(_message);

    [Benchmark]
    public object Bytes_parser_ack_128_ids() => ParseBytes(_ack);

    [Benchmark]
    public object Bytes_parser_login() => ParseBytes(_login);

    private static object ParseBytes(in ReadOnlySequence<byte> line)
        => CommandParser.TryParse(line, out var command, out var error) ? command : error;

    private static object ParseString(in ReadOnlySequence<byte> line)
        => CommandParser.TryParse(Encoding.UTF8.GetString(line), out var command, out var error) ? command : error;
}
