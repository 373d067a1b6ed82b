using System.Net.Sockets;
using ChatRoom.Server;

namespace ChatRoom.Networking.Tests.Apps;

/// <summary>More connections than the process may open files: the server refuses the excess and lives.</summary>
public sealed class FileLimitTests
{
    [Fact]
    public async Task Connections_beyond_the_open_file_limit_are_refused_and_the_server_keeps_serving()
    {
        const int openFiles = 600, attempts = 800;
        var (server, port) = await AppProcess.StartServerWithFileLimitAsync(openFiles);
        await using var _ = server;
        var cap = openFiles - FileHandleLimit.Reserve;
        await server.WaitForLineAsync(l => l.Contains($"MaxConnections lowered from 20000 to {cap}", StringComparison.Ordinal));

        var sockets = new List<TcpClient>();
        try
        {
            var firstLines = new List<string?>();
            for (var i = 0; i < attempts; i++)
            {
                var tcp = new TcpClient();
                sockets.Add(tcp);
                await tcp.ConnectAsync("127.0.0.1", port);
                var reader = new StreamReader(tcp.GetStream());
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                firstLines.Add(await reader.ReadLineAsync(timeout.Token));
            }

            Assert.Equal(cap, firstLines.Count(l => l!.StartsWith("hello", StringComparison.Ordinal)));
            Assert.Equal(attempts - cap, firstLines.Count(l => l!.StartsWith($"error too-many-connections server {cap}", StringComparison.Ordinal)));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }

        // Alive, and serving again once the connections are gone.
        var client = AppProcess.Client("127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var __ = client;
        await client.LogInAsync("seas");
        Assert.DoesNotContain(server.Lines, l => l.Contains("Out of memory", StringComparison.Ordinal) || l.Contains("Unhandled", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Max open files            1024                 4096                 files", 1024L)]
    [InlineData("Max open files            unlimited            unlimited            files", null)]
    public void The_soft_open_file_limit_is_read_from_the_limits_file(string line, long? expected)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["Limit                     Soft Limit           Hard Limit           Units", "Max processes             63779                63779                processes", line]);
            Assert.Equal(expected, FileHandleLimit.ReadOpenFileLimit(path));
            Assert.Equal(expected is null ? 20_000 : (int)expected - FileHandleLimit.Reserve, FileHandleLimit.Cap(20_000, path).MaxConnections);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
