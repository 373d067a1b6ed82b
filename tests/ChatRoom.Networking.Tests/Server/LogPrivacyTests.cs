namespace ChatRoom.Networking.Tests.Server;

public sealed class LogPrivacyTests
{
    [Fact]
    public async Task A_password_typed_as_a_command_is_not_written_to_the_log()
    {
        await using var server = await TestServer.StartAsync();
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");

        await raw.SendAsync("Tr0ub4dor&3 correct horse\n");

        Assert.StartsWith("error unknown-command", await raw.ExpectAsync("error"), StringComparison.Ordinal);
        await server.Logs.WaitForAsync("Protocol error");
        Assert.DoesNotContain(server.Logs.Lines, l => l.Contains("Tr0ub4dor", StringComparison.Ordinal));
        Assert.Contains(server.Logs.Lines, l => l.Contains("unknown-command (verb -, 25 characters)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_argument_to_a_known_verb_logs_the_verb_but_not_the_argument()
    {
        await using var server = await TestServer.StartAsync();
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");

        await raw.SendAsync("#7 LOGIN seas hunter2 not-a-port\n");

        Assert.StartsWith("error #7 bad-argument", await raw.ExpectAsync("error"), StringComparison.Ordinal);
        await server.Logs.WaitForAsync("Protocol error");
        Assert.DoesNotContain(server.Logs.Lines, l => l.Contains("hunter2", StringComparison.Ordinal) || l.Contains("not-a-port", StringComparison.Ordinal));
        Assert.Contains(server.Logs.Lines, l => l.Contains("bad-argument (verb login,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_lines_and_refused_connections_stay_below_the_default_log_level()
    {
        // Anyone can send them as fast as the network allows: at Information or above they would fill the operator's disk.
        await using var server = await TestServer.StartAsync(server: o => o.MaxConnectionsPerAddress = 1);
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");
        var refused = await server.ConnectRawAsync();
        Assert.StartsWith("error too-many-connections address 1", await refused.ReadLineAsync(), StringComparison.Ordinal);

        await raw.SendAsync(string.Concat(Enumerable.Repeat("frobnicate\n", 100)));
        for (var i = 0; i < 100; i++)
        {
            await raw.ExpectAsync("error unknown-command");
        }

        await server.Logs.WaitForAsync("Refused connection");
        await server.Logs.WaitForAsync("Protocol error", 100);
        Assert.Equal(100, server.Logs.Lines.Count(l => l.StartsWith("Debug: Protocol error", StringComparison.Ordinal)));
        Assert.DoesNotContain(server.Logs.Lines, l => !l.StartsWith("Debug:", StringComparison.Ordinal) && (l.Contains("Protocol error", StringComparison.Ordinal) || l.Contains("Refused connection", StringComparison.Ordinal)));
    }
}
