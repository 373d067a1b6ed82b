using ChatRoom.Client;

namespace ChatRoom.Networking.Tests.Client;

/// <summary>Replies the fuzzer found (tools/fuzz, target reply): a server line short of a field or with a bad number.</summary>
public sealed class MalformedReplyTests
{
    public static TheoryData<string, string> Replies() => new()
    {
        { "login", "ok {0} login" },
        { "login", "error {0} wrong-credentials" },
        { "login", "error {0} wrong-credentials 2error" },
        { "login", "error {0} locked 99999999999" },
        { "message", "ok {0} message delivered bob" },
        { "broadcast", "ok {0} broadcast" },
        { "getaddress", "error {0} refused" },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public async Task A_malformed_reply_fails_the_request_with_a_protocol_error(string command, string reply)
    {
        await using var server = await PipeServer.StartAsync();
        var client = server.Client;
        Task request = command switch
        {
            "login" => client.LoginAsync("alice", "wonderland"),
            "message" => client.SendAsync("bob", "hi"),
            "broadcast" => client.BroadcastAsync("hi"),
            _ => client.RequestAddressAsync("bob"),
        };

        var tag = (await server.ReadLineAsync()).Split(' ')[0];
        await server.SendAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, reply, tag));

        var error = await Assert.ThrowsAsync<ChatProtocolException>(() => request.WaitAsync(TestServer.Wait));
        Assert.Equal("bad-argument", error.Code);
    }
}
