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
}
