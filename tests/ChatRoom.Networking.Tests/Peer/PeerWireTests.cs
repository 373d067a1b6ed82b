using System.Net;
using System.Net.Sockets;
using System.Text;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Peer;
using Microsoft.Extensions.Time.Testing;

namespace ChatRoom.Networking.Tests.Peer;

/// <summary>Peer lines the fuzzer and the properties found (tools/fuzz, target peer), spoken raw to a real listener.</summary>
public sealed class PeerWireTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("99999999999999999")]
    [InlineData("253402300800000")]
    public async Task A_message_time_past_the_year_9999_is_skipped_and_the_connection_goes_on(string millis)
    {
        var time = new FakeTimeProvider(Now);
        await using var listener = new PeerListener(IPAddress.Loopback, 0, time);
        var grant = PeerGrant.Create("seas", "columbia", Now.AddMinutes(10));
        listener.Accept(grant);
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, listener.Port);
        using var timeout = new CancellationTokenSource(TestServer.Wait);
        var stream = socket.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        async Task SendAsync(string line) => await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), timeout.Token);

        await SendAsync(PeerWire.Hello("seas", grant.Token));
        Assert.Equal("peer-ok", await reader.ReadLineAsync(timeout.Token));
        var good = MessageId.New(time);
        await SendAsync($"pmsg {MessageId.New(time)} {millis} :from the far future");
        await SendAsync(PeerWire.Message(good.ToString(), Now, "on time"));

        Assert.Equal(PeerWire.Ack(good.ToString()), await reader.ReadLineAsync(timeout.Token));
        await using var messages = listener.Messages.GetAsyncEnumerator(timeout.Token);
        Assert.True(await messages.MoveNextAsync());
        Assert.Equal("on time", messages.Current.Message.Text);
    }

    [Theory]
    [InlineData("pmsg 0123456789abcdef0123456789abcdef 253402300799999 :x", true)]
    [InlineData("pmsg 0123456789abcdef0123456789abcdef 253402300800000 :x", false)]
    [InlineData("pmsg 0123456789abcdef0123456789abcdef 9223372036854775808 :x", false)]
    [InlineData("pmsg 0123456789abcdef0123456789abcdef -1 :x", false)]
    [InlineData("pmsg nope 1 :x", false)]
    [InlineData("pmsg 0123456789abcdef0123456789abcdef 1", true)]
    public void A_message_line_reads_only_with_an_id_and_a_time_in_range(string line, bool reads)
        => Assert.Equal(reads, PeerWire.TryParseMessage(line, out _, out _, out _));
}
