using System.Net;
using System.Net.Sockets;

namespace ChatRoom.Networking.Tests.Apps;

public sealed class ConsoleAppTests
{
    [Fact]
    public async Task Two_piped_clients_chat_through_the_server_and_log_out_cleanly()
    {
        var (server, port) = await AppProcess.StartServerAsync();
        await using var _ = server;
        await using var columbia = AppProcess.Client("127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await columbia.LogInAsync("columbia");

        await using var seas = AppProcess.Client("127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var line in new[] { "seas", "wrong", "summerisover", "online", "message columbia 123", "broadcast 321", "frobnicate", "logout" })
        {
            await seas.WriteLineAsync(line);
        }

        Assert.Equal(0, await seas.WaitForExitAsync());
        Assert.Contains("Username:", seas.Lines);
        Assert.Equal(2, seas.Lines.Count(l => l == "Password:"));
        Assert.Contains(seas.Lines, l => l.StartsWith("wrong user name or password; 2 attempts left", StringComparison.Ordinal));
        Assert.Contains("online: columbia, seas", seas.Lines);
        Assert.Contains("message to columbia delivered", seas.Lines);
        Assert.Contains(seas.Lines, l => l.StartsWith("unknown command 'frobnicate'", StringComparison.Ordinal));

        await columbia.WaitForLineAsync(l => l == "seas: 123");
        await columbia.WaitForLineAsync(l => l == "seas (broadcast): 321");
        await columbia.WaitForLineAsync(l => l == "* seas went offline");
        columbia.CloseInput();
        Assert.Equal(0, await columbia.WaitForExitAsync());
        await server.WaitForLineAsync(l => l.Contains("Logout: columbia", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SIGTERM_stops_the_server_gracefully_and_connected_clients_are_told()
    {
        var (server, port) = await AppProcess.StartServerAsync();
        await using var _ = server;
        // Without reconnecting: a client that would reconnect keeps trying (ReconnectAppTests).
        await using var client = AppProcess.Client("127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--reconnect-for", "0");
        await client.LogInAsync("seas");

        server.Terminate();

        Assert.Equal(0, await server.WaitForExitAsync());
        await client.WaitForLineAsync(l => l == "! server: the server is shutting down");
        Assert.Equal(5, await client.WaitForExitAsync());
    }

    [Fact]
    public async Task A_stopped_client_process_is_logged_out_when_its_heartbeat_times_out()
    {
        var (server, port) = await AppProcess.StartServerAsync("--heartbeat-timeout", "3");
        await using var _ = server;
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var columbia = AppProcess.Client("127.0.0.1", portText);
        await columbia.LogInAsync("columbia");
        await using var seas = AppProcess.Client("127.0.0.1", portText);
        await seas.TypeCredentialsAsync("seas");
        await columbia.WaitForLineAsync(l => l == "* seas is online");

        seas.Pause();
        try
        {
            // The sleeping client's socket stays open: only the missing heartbeats can tell.
            await server.WaitForLineAsync(l => l.Contains("Logout: seas (Expired)", StringComparison.Ordinal));
            await columbia.WaitForLineAsync(l => l == "* seas went offline");
            Assert.DoesNotContain(columbia.Lines, l => l.Contains("columbia went offline", StringComparison.Ordinal));
        }
        finally
        {
            seas.Resume();
        }
    }

    [Theory]
    [InlineData("--block-time", "0")]
    [InlineData("--heartbeat-timeout", "-5")]
    [InlineData("--max-mailbox-messages", "0")]
    [InlineData("--max-mailbox-bytes", "100")]
    [InlineData("--credentials", "/nonexistent/credentials.txt")]
    [InlineData("not-a-port")]
    [InlineData("70000")]
    [InlineData("--node-lease", "2")]
    [InlineData("--redis", "127.0.0.1:1", "--node-lease", "0.5")]
    [InlineData("--redis", "127.0.0.1:1", "--node-lease", "NaN")]
    public async Task The_server_refuses_bad_arguments_with_a_message_and_exit_code_2(params string[] args)
    {
        await using var server = AppProcess.Server(args);

        Assert.Equal(2, await server.WaitForExitAsync());
        Assert.Contains(server.Lines, l => l.StartsWith("error:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_data_file_that_is_not_ours_is_refused_with_exit_code_2_and_left_untouched()
    {
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "my diary, not a database\n");
        try
        {
            await using var server = AppProcess.Server("0", "--data", path);

            Assert.Equal(2, await server.WaitForExitAsync());
            Assert.Contains(server.Lines, l => l.StartsWith("error: data file", StringComparison.Ordinal) && l.Contains(path, StringComparison.Ordinal));
            Assert.Equal("my diary, not a database\n", await File.ReadAllTextAsync(path));
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".lock");
        }
    }

    [Fact]
    public async Task A_second_server_on_the_same_data_file_refuses_to_start_with_exit_code_1_and_a_killed_ones_lock_does_not_block_the_next()
    {
        var folder = Directory.CreateTempSubdirectory("chatroom-lock-");
        var data = Path.Combine(folder.FullName, "chatroom.db");
        try
        {
            var (first, _) = await AppProcess.StartServerAsync("--data", data);
            await using (first)
            {
                await using var second = AppProcess.Server("0", "--data", data);

                Assert.Equal(1, await second.WaitForExitAsync());
                Assert.Contains(second.Lines, l => l.StartsWith("error: data file", StringComparison.Ordinal) && l.Contains("in use by another ChatRoom server", StringComparison.Ordinal));
                await first.KillAsync();
            }

            var (third, _) = await AppProcess.StartServerAsync("--data", data);
            await using (third)
            {
                third.Terminate();
                Assert.Equal(0, await third.WaitForExitAsync());
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_malformed_credentials_file_names_the_file_and_line()
    {
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "seas summerisover\nbroken\n");
        try
        {
            await using var server = AppProcess.Server("0", "--credentials", path);

            Assert.Equal(2, await server.WaitForExitAsync());
            Assert.Contains(server.Lines, l => l.Contains($"{path}:2:", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Help_lists_every_server_option()
    {
        await using var server = AppProcess.Server("--help");

        Assert.Equal(0, await server.WaitForExitAsync());
        foreach (var option in new[] { "<port>", "--credentials", "--block-time", "--heartbeat-timeout", "--max-mailbox-messages", "--max-mailbox-bytes", "--node-lease" })
        {
            Assert.Contains(server.Lines, l => l.Contains(option, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_client_exits_non_zero_when_it_cannot_connect()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        probe.Close();

        await using var client = AppProcess.Client("127.0.0.1", closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(1, await client.WaitForExitAsync());
        Assert.Contains(client.Lines, l => l.StartsWith("error: cannot connect", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_displaced_client_is_told_and_exits_non_zero()
    {
        var (server, port) = await AppProcess.StartServerAsync();
        await using var _ = server;
        await using var first = AppProcess.Client("127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await first.LogInAsync("seas");

        await using var second = AppProcess.Client("127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await second.TypeCredentialsAsync("seas");

        await first.WaitForLineAsync(l => l == "! you logged in from 127.0.0.1; this session is closed");
        Assert.Equal(4, await first.WaitForExitAsync());
    }

    [Fact]
    public async Task Two_client_processes_chat_privately_and_after_the_target_is_killed_the_message_goes_through_the_server()
    {
        var (server, port) = await AppProcess.StartServerAsync();
        await using var _ = server;
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var columbia = AppProcess.Client("127.0.0.1", portText, "--p2p-address", "127.0.0.1");
        await columbia.LogInAsync("columbia");
        await using var seas = AppProcess.Client("127.0.0.1", portText);
        await seas.LogInAsync("seas");

        await seas.WriteLineAsync("private columbia too early");
        await seas.WaitForLineAsync(l => l == "run getaddress columbia first");
        await seas.WriteLineAsync("getaddress columbia");
        await columbia.WaitForLineAsync(l => l == "? seas wants to chat with you privately - allow? y/n");
        await columbia.WriteLineAsync("yes");
        await seas.WaitForLineAsync(l => l.StartsWith("* columbia agreed to chat privately", StringComparison.Ordinal));
        await seas.WriteLineAsync("private columbia just between us");
        await seas.WaitForLineAsync(l => l == "delivered privately to columbia");
        await columbia.WaitForLineAsync(l => l == "seas (private): just between us");

        await columbia.KillAsync();
        await seas.WaitForLineAsync(l => l == "* columbia went offline");
        await seas.WriteLineAsync("private columbia read this later");
        await seas.WaitForLineAsync(l => l.StartsWith("columbia's client is unreachable - sent through the server (columbia is offline", StringComparison.Ordinal));

        await using var again = AppProcess.Client("127.0.0.1", portText);
        await again.TypeCredentialsAsync("columbia");
        await again.WaitForLineAsync(l => l.StartsWith("seas (sent ", StringComparison.Ordinal) && l.EndsWith("while you were offline): read this later", StringComparison.Ordinal));
    }
}
