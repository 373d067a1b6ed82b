using System.Net;
using ChatRoom.Client;
using ChatRoom.Peer;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Polly.Registry;

namespace ChatRoom.Networking.Tests.Peer;

/// <summary>Two SDK clients with peer listeners chatting privately through a real server and real peer sockets.</summary>
public sealed class PrivateChatTests
{
    [Fact]
    public async Task Two_clients_chat_privately_and_when_the_target_dies_the_next_message_falls_back_and_waits_for_its_login()
    {
        await using var server = await TestServer.StartAsync();
        await using var services = new ServiceCollection()
            .AddChatRoomPrivateDelivery(o =>
            {
                o.RetryDelay = TimeSpan.FromMilliseconds(10);
                o.AttemptTimeout = TimeSpan.FromSeconds(5);
            })
            .BuildServiceProvider();
        var pipeline = services.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline<PrivateDelivery>(PrivateMessenger.PipelineKey);

        // The grant expiry is stamped by the server's (fake) clock, so the listener reads the same clock.
        var columbiaListener = new PeerListener(IPAddress.Loopback, 0, server.Time);
        var (columbia, columbiaInbox) = await server.LoginAsync("columbia", server.ClientOptions with { PeerPort = columbiaListener.Port });
        var (seas, seasInbox) = await server.LoginAsync("seas");
        await using var transport = new TcpPeerTransport();
        var seasMessenger = new PrivateMessenger(seas, transport, pipeline, null, TimeProvider.System);
        await using var columbiaTransport = new TcpPeerTransport();
        var columbiaMessenger = new PrivateMessenger(columbia, columbiaTransport, pipeline, columbiaListener, TimeProvider.System);
        var received = new Inbox(columbiaListener.Messages);

        await seas.RequestAddressAsync("columbia");
        var request = await columbiaInbox.WaitForAsync<ConsentRequestNotice>();
        await columbia.AnswerConsentAsync(request.Requester, allow: true);
        columbiaMessenger.Accept((await columbiaInbox.WaitForAsync<ConsentConfirmedNotice>()).Grant);
        seasMessenger.Grant(await seasInbox.WaitForAsync<AddressGrantedNotice>());

        Assert.Equal(PrivateRoute.Peer, (await seasMessenger.SendAsync("columbia", "just between us"))!.Route);
        Assert.Equal("just between us", (await received.WaitForAsync<MessageNotice>()).Message.Text);
        Assert.DoesNotContain(columbiaInbox.OfType<MessageNotice>(), m => m.Message.Text == "just between us");

        // The target's process dies: its socket and its peer listener vanish at once.
        await columbia.DisposeAsync();
        await columbiaListener.DisposeAsync();
        await seasInbox.WaitForAsync<PresenceNotice>(p => p is { User: "columbia", Online: false });

        var fallback = await seasMessenger.SendAsync("columbia", "read this later");
        Assert.Equal(PrivateRoute.Server, fallback!.Route);
        Assert.Equal(SendOutcome.StoredOffline, fallback.ServerReceipt!.Outcome);

        var (_, againInbox) = await server.LoginAsync("columbia");
        var later = await againInbox.WaitForAsync<MessageNotice>();
        Assert.Equal(("seas", "read this later", true), (later.Message.From, later.Message.Text, later.FromOfflineStore));
    }
}
