using ChatRoom.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Networking.Tests.Transport;

/// <summary>The server's protocol code runs unchanged over in-process pipes: no socket, no port.</summary>
public sealed class InMemoryTransportTests
{
    [Fact]
    public async Task Two_users_log_in_chat_see_each_other_and_log_out_over_pipes()
    {
        var transport = new InMemoryTransport();
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<IConnectionListenerFactory>(transport));
        await using var columbia = RawClient.Over(transport.Connect());
        await using var seas = RawClient.Over(transport.Connect("10.1.2.3"));

        Assert.StartsWith("hello ChatRoom 1 ", await columbia.ExpectAsync("hello"), StringComparison.Ordinal);
        await columbia.SendAsync("login columbia 116bway\n");
        Assert.Equal("ok login columbia", await columbia.ExpectAsync("ok"));
        await seas.SendAsync("login seas summerisover\nmessage columbia hello over a pipe\n");
        Assert.StartsWith("ok message delivered columbia ", await seas.ExpectAsync("ok message"), StringComparison.Ordinal);

        Assert.Equal("presence seas online", await columbia.ExpectAsync("presence"));
        Assert.EndsWith(" :hello over a pipe", await columbia.ExpectAsync("message seas "), StringComparison.Ordinal);
        await seas.SendAsync("logout\n");
        Assert.Equal("bye logout :goodbye", await seas.ExpectAsync("bye"));
        Assert.Null(await seas.ReadLineAsync());
        Assert.Equal("presence seas offline", await columbia.ExpectAsync("presence"));
        Assert.Contains(server.Logs.Lines, l => l.Contains("Login ok: seas from 10.1.2.3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_that_goes_away_is_logged_out()
    {
        var transport = new InMemoryTransport();
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<IConnectionListenerFactory>(transport));
        await using var columbia = RawClient.Over(transport.Connect());
        var seasPipe = transport.Connect();
        var seas = RawClient.Over(seasPipe);
        await columbia.SendAsync("login columbia 116bway\n");
        await columbia.ExpectAsync("ok login");
        await seas.SendAsync("login seas summerisover\n");
        await seas.ExpectAsync("ok login");

        await seas.DisposeAsync();

        Assert.Equal("presence seas offline", await columbia.ExpectAsync("presence seas offline"));
    }
}
