using System.Text;
using ChatRoom.Messaging;
using Microsoft.Extensions.Time.Testing;

namespace ChatRoom.Core.Tests.Messaging;

public sealed class MessageIdTests
{
    private readonly MessageId _id = MessageId.New(new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 7, 0, 0, TimeSpan.Zero)));

    [Fact]
    public void Both_span_forms_write_what_ToString_returns_and_it_parses_back()
    {
        Span<char> chars = stackalloc char[MessageId.TextLength];
        Span<byte> bytes = stackalloc byte[MessageId.TextLength];

        Assert.True(_id.TryFormat(chars, out var charsWritten));
        Assert.True(_id.TryFormat(bytes, out var bytesWritten));

        Assert.Equal(_id.ToString(), chars[..charsWritten].ToString());
        Assert.Equal(_id.ToString(), Encoding.ASCII.GetString(bytes[..bytesWritten]));
        Assert.Equal(MessageId.TextLength, _id.ToString().Length);
        Assert.True(MessageId.TryParse(chars, out var parsed));
        Assert.Equal(_id, parsed);
    }

    [Fact]
    public void A_destination_one_short_is_refused()
    {
        Span<char> chars = stackalloc char[MessageId.TextLength - 1];
        Span<byte> bytes = stackalloc byte[MessageId.TextLength - 1];

        Assert.False(_id.TryFormat(chars, out _));
        Assert.False(_id.TryFormat(bytes, out _));
    }
}
