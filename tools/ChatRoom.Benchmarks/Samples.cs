using System.Text;
using ChatRoom.Messaging;

namespace ChatRoom.Benchmarks;

/// <summary>The lines and messages every benchmark shares, so their figures compare.</summary>
public static class Samples
{
    /// <summary>64 bytes of ASCII text: a typical short chat message.</summary>
    public static readonly string Text64 = new string('x', 56) + " hello!!";

    /// <summary>A tagged direct message, as the SDK sends it.</summary>
    public static readonly string MessageLine = "#42 message bob " + Text64;

    /// <summary>One ack line carrying 128 ids, as the SDK batches them.</summary>
    public static readonly string AckLine = "ack " + string.Join(' ', Enumerable.Range(0, 128).Select(i => new MessageId(Guid.CreateVersion7(DateTimeOffset.UnixEpoch.AddSeconds(i))).ToString()));

    /// <summary>A login with a peer port.</summary>
    public const string LoginLine = "#1 login alice s3cret-pass 40000";

    /// <summary>A direct message from alice to bob.</summary>
    public static ChatMessage Message(TimeProvider time)
        => new(MessageId.New(time), MessageKind.Direct, "alice", "bob", Text64, time.GetUtcNow());

    /// <summary>UTF-8 bytes of <paramref name="line"/>.</summary>
    public static byte[] Bytes(string line) => Encoding.UTF8.GetBytes(line);
}
