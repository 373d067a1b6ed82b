using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ChatRoom.Networking.Tests.Apps;

/// <summary>The console client given several servers, and losing the one it is on.</summary>
public sealed class ReconnectAppTests
{
    [Fact]
    public async Task Given_two_addresses_with_the_first_dead_the_client_connects_to_the_second()
    {
        var (server, port) = await AppProcess.StartServerAsync();
        await using var _ = server;
        await using var client = AppProcess.Client($"127.0.0.1:{ClosedPort()}", $"127.0.0.1:{port}");

        await client.LogInAsync("seas");

        Assert.Contains(client.Lines, l => l.StartsWith("connected to ", StringComparison.Ordinal) && l.EndsWith($" at 127.0.0.1:{port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_whose_server_is_killed_logs_in_again_when_it_is_back_and_gets_what_was_sent_meanwhile_once()
    {
        var folder = Directory.CreateTempSubdirectory("chatroom-reconnect-");
        var data = Path.Combine(folder.FullName, "chatroom.db");
        try
        {
            var (first, port) = await AppProcess.StartServerAsync("--data", data);
            var portText = port.ToString(CultureInfo.InvariantCulture);
            await using var columbia = AppProcess.Client($"127.0.0.1:{portText}");
            await using (first)
            {
                await columbia.LogInAsync("columbia");
                await first.KillAsync();
            }

            await columbia.WaitForLineAsync(l => l == "! lost the server (connection-lost); reconnecting");
            var (second, _) = await AppProcess.StartServerOnAsync(port, "--data", data);
            await using (second)
            {
                await using var seas = AppProcess.Client("127.0.0.1", portText);
                await seas.LogInAsync("seas");
                await seas.WriteLineAsync("message columbia after the restart");
                await columbia.WaitForLineAsync(l => l == $"* reconnected to 127.0.0.1:{portText}");
                await columbia.WaitForLineAsync(l => l.EndsWith("after the restart", StringComparison.Ordinal));

                columbia.CloseInput();
                Assert.Equal(0, await columbia.WaitForExitAsync());
                Assert.Single(columbia.Lines, l => l.EndsWith("after the restart", StringComparison.Ordinal));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_client_exits_with_code_5_only_once_reconnecting_gives_up()
    {
        var (server, port) = await AppProcess.StartServerAsync();
        await using var client = AppProcess.Client("127.0.0.1", port.ToString(CultureInfo.InvariantCulture), "--reconnect-for", "1");
        await using (server)
        {
            await client.LogInAsync("seas");
            await server.KillAsync();
        }

        await client.WaitForLineAsync(l => l == "! lost the server (connection-lost); reconnecting");
        Assert.Equal(5, await client.WaitForExitAsync());
        Assert.Contains("! disconnected (connection-lost)", client.Lines);
        Assert.DoesNotContain(client.Lines, l => l.StartsWith("* reconnected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Help_says_how_to_name_several_servers_and_how_long_to_reconnect()
    {
        await using var client = AppProcess.Client("--help");

        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Contains(client.Lines, l => l.Contains("HOST PORT, or one or more HOST:PORT", StringComparison.Ordinal));
        Assert.Contains(client.Lines, l => l.Contains("--reconnect-for", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("localhost:")]
    [InlineData("localhost:70000")]
    [InlineData("::1:5566")]
    [InlineData("localhost", "5566", "other:5567")]
    public async Task A_malformed_server_list_is_refused_with_exit_code_2(params string[] args)
    {
        await using var client = AppProcess.Client(args);

        Assert.Equal(2, await client.WaitForExitAsync());
        Assert.Contains(client.Lines, l => l.StartsWith("error: ", StringComparison.Ordinal) && l.Contains("is not a server", StringComparison.Ordinal));
    }

    private static int ClosedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
