namespace ChatRoom.Networking.Tests.Server;

/// <summary>A client may send many commands before reading any reply: its replies push back, it is not cut off.</summary>
public sealed class PipelinedClientTests
{
    [Fact]
    public async Task Twenty_thousand_commands_sent_before_reading_all_get_their_replies_in_order()
    {
        const int count = 20_000;
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");
        await raw.SendAsync("login seas summerisover\n");
        await raw.ExpectAsync("ok login");

        // Far more replies than the queue holds (1,024) or the socket buffers take: the server must stop reading, not drop us.
        var lines = string.Concat(Enumerable.Range(0, count).Select(i => $"#t{i} online\n"));
        var sending = raw.SendAsync(lines);

        for (var i = 0; i < count; i++)
        {
            Assert.Equal($"ok #t{i} online seas", await raw.ReadLineAsync());
        }

        await sending;
        Assert.DoesNotContain(server.Logs.Lines, l => l.Contains("slow", StringComparison.OrdinalIgnoreCase));
    }
}
