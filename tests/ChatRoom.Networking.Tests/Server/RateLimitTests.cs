using System.Text;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Server;

public sealed class RateLimitTests
{
    [Fact]
    public async Task A_flooder_is_refused_past_its_message_rate_while_another_clients_messages_flow()
    {
        await using var server = await TestServer.StartAsync(server: o =>
        {
            o.MessagesPerSecond = 5;
            o.CommandsPerSecond = 100;
        });
        var (_, columbiaInbox) = await server.LoginAsync("columbia");
        var (foobar, _) = await server.LoginAsync("foobar");
        var flooder = await LoginRawAsync(server, "seas");

        var flood = new StringBuilder();
        for (var i = 0; i < 20; i++)
        {
            flood.Append("#f").Append(i).Append(" message columbia flood ").Append(i).Append('\n');
        }

        await flooder.SendAsync(flood.ToString());
        var replies = new List<string>();
        while (replies.Count < 20)
        {
            var line = await flooder.ReadLineAsync() ?? throw new InvalidOperationException("closed");
            if (line.StartsWith("ok #f", StringComparison.Ordinal) || line.StartsWith("error #f", StringComparison.Ordinal))
            {
                replies.Add(line);
            }
        }

        // Meanwhile another sender is not held back at all.
        for (var i = 0; i < 5; i++)
        {
            Assert.NotEqual(SendOutcome.Refused, (await foobar.SendAsync("columbia", $"steady {i}")).Outcome);
        }

        await columbiaInbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "steady 4");
        Assert.Equal(5, columbiaInbox.OfType<MessageNotice>().Count(m => m.Message.Text.StartsWith("flood", StringComparison.Ordinal)));
        Assert.Equal(5, replies.Count(r => r.Contains(" message ", StringComparison.Ordinal)));
        Assert.Equal(15, replies.Count(r => r.Contains(" rate-limited 200 ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_rate_limit_refills_with_time()
    {
        await using var server = await TestServer.StartAsync(server: o =>
        {
            o.MessagesPerSecond = 2;
            o.CommandsPerSecond = 100;
        });
        await server.LoginAsync("columbia");
        var flooder = await LoginRawAsync(server, "seas");

        await flooder.SendAsync("#1 broadcast a\n#2 broadcast b\n#3 broadcast c\n");
        Assert.StartsWith("ok #1 broadcast", await flooder.ExpectAsync("ok #1 "), StringComparison.Ordinal);
        Assert.StartsWith("ok #2 broadcast", await flooder.ExpectAsync("ok #2 "), StringComparison.Ordinal);
        Assert.StartsWith("error #3 rate-limited 500 ", await flooder.ExpectAsync("error #3 "), StringComparison.Ordinal);

        server.Time.Advance(TimeSpan.FromMilliseconds(499));
        await flooder.SendAsync("#4 broadcast d\n");
        Assert.StartsWith("error #4 rate-limited 1 ", await flooder.ExpectAsync("error #4 "), StringComparison.Ordinal);
        server.Time.Advance(TimeSpan.FromMilliseconds(1));
        await flooder.SendAsync("#5 broadcast e\n");
        Assert.StartsWith("ok #5 broadcast", await flooder.ExpectAsync("ok #5 "), StringComparison.Ordinal);

        server.Time.Advance(TimeSpan.FromSeconds(10));
        await flooder.SendAsync("#6 broadcast f\n#7 broadcast g\n#8 broadcast h\n");
        Assert.StartsWith("ok #6 ", await flooder.ExpectAsync("ok #6 "), StringComparison.Ordinal);
        Assert.StartsWith("ok #7 ", await flooder.ExpectAsync("ok #7 "), StringComparison.Ordinal);
        Assert.StartsWith("error #8 rate-limited", await flooder.ExpectAsync("error #8 "), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_line_counts_against_the_command_rate_even_before_login()
    {
        await using var server = await TestServer.StartAsync(server: o =>
        {
            o.MessagesPerSecond = 3;
            o.CommandsPerSecond = 3;
        });
        var raw = server.ConnectRawFrom("10.0.0.1");
        await raw.ExpectAsync("hello");

        await raw.SendAsync("#1 help\nnonsense\n#3 help\n#4 help\n#5 login seas summerisover\n");

        Assert.StartsWith("ok #1 help", await raw.ExpectAsync("ok #1"), StringComparison.Ordinal);
        Assert.StartsWith("error unknown-command", await raw.ExpectAsync("error"), StringComparison.Ordinal);
        Assert.StartsWith("ok #3 help", await raw.ExpectAsync("ok #3"), StringComparison.Ordinal);
        Assert.StartsWith("error #4 rate-limited 334 :too many commands", await raw.ExpectAsync("error #4"), StringComparison.Ordinal);
        Assert.StartsWith("error #5 rate-limited", await raw.ExpectAsync("error #5"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flooder_that_ignores_the_refusals_is_disconnected()
    {
        await using var server = await TestServer.StartAsync(server: o =>
        {
            o.MessagesPerSecond = 1;
            o.CommandsPerSecond = 100;
            o.MaxRefusedLines = 3;
        });
        var (_, columbiaInbox) = await server.LoginAsync("columbia");
        var flooder = await LoginRawAsync(server, "seas");

        await flooder.SendAsync(string.Concat(Enumerable.Range(0, 50).Select(i => $"message columbia {i}\n")));

        Assert.StartsWith("ok message", await flooder.ExpectAsync("ok"), StringComparison.Ordinal);
        for (var i = 0; i < 4; i++)
        {
            Assert.StartsWith("error rate-limited", await flooder.ReadLineAsync(), StringComparison.Ordinal);
        }

        Assert.StartsWith("bye flooding", await flooder.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Null(await flooder.ReadLineAsync());
        await columbiaInbox.WaitForAsync<PresenceNotice>(p => p is { User: "seas", Online: false });
        Assert.Contains(server.Logs.Lines, l => l.Contains("Disconnected flooder", StringComparison.Ordinal));
    }

    private static async Task<RawClient> LoginRawAsync(TestServer server, string user)
    {
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");
        await raw.SendAsync($"#login login {user} {TestServer.Passwords[user]}\n");
        await raw.ExpectAsync("ok #login");
        return raw;
    }
}
