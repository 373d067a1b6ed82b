using System.Net;
using System.Net.Sockets;
using ChatRoom.Client;
using ChatRoom.Routing;
using ChatRoom.Server;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Networking.Tests;

/// <summary>Keeps the README's library example compiling, running, and identical to what the README shows.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public async Task The_readme_example_runs()
    {
        Assert.Equal(SendOutcome.StoredOffline, await ReadmeExample.RunAsync(FreePort()));
    }

    [Fact]
    public void The_readme_shows_the_example_as_it_is_here()
    {
        var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        var source = File.ReadAllText(Path.Combine(root, "tests/ChatRoom.Networking.Tests/ReadmeExampleTests.cs"));
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        // Built from parts so that this method's own text is not mistaken for the markers.
        var begin = source.IndexOf("// README" + "-BEGIN", StringComparison.Ordinal);
        var end = source.IndexOf("// README" + "-END", StringComparison.Ordinal);
        var lines = source[begin..end].Split('\n').Skip(1).Select(l => l.Length >= 8 ? l[8..] : l.Trim()).ToArray();
        var example = string.Join('\n', lines).TrimEnd();

        Assert.Contains("```csharp\n" + example + "\n```", readme, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}

internal static class ReadmeExample
{
    public static async Task<SendOutcome> RunAsync(int port)
    {
        // README-BEGIN
        var services = new ServiceCollection();
        services.AddChatRoomCredentials([new("alice", "wonderland"), new("bob", "builder")]);
        services.AddChatRoomServer(o => o.Port = port);
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ChatServer>().StartAsync();

        await using var alice = await ChatClient.ConnectAsync(new ChatClientOptions { Host = "localhost", Port = port });
        await alice.LoginAsync("alice", "wonderland");
        var receipt = await alice.SendAsync("bob", "hello, bob"); // bob is offline: kept for him
        // README-END
        return receipt.Outcome;
    }
}
