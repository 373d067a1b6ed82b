using System.Buffers;
using BenchmarkDotNet.Attributes;
using ChatRoom.Protocol;
using ChatRoom.Sessions;

namespace ChatRoom.Benchmarks;

/// <summary>The server's line formatter writing one line into a reused <see cref="IBufferWriter{T}"/>, as the write loop does.</summary>
[MemoryDiagnoser]
public class FormatterBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly MessageNotice _message = new(Samples.Message(TimeProvider.System), FromOfflineStore: false);
    private readonly PresenceNotice _presence = new("alice", Online: true);
    private ReplyNotice _reply = null!;

    [GlobalSetup]
    public void Setup() => _reply = ReplyNotice.Success("42", "message", "delivered", "bob", _message.Message.Id.ToString());

    [Benchmark]
    public int Message_notice() => Write(_message);

    [Benchmark]
    public int Reply_ok_message_delivered() => Write(_reply);

    [Benchmark]
    public int Presence_notice() => Write(_presence);

    private int Write(SessionNotice notice)
    {
        _output.ResetWrittenCount();
        WireFormat.Write(_output, notice);
        return _output.WrittenCount;
    }
}
