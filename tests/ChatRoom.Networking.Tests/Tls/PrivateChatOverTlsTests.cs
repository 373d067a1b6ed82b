using System.Net;
using ChatRoom.Client;
using ChatRoom.Consent;
using ChatRoom.Peer;
using ChatRoom.Protocol;
using ChatRoom.Sessions;
using ChatRoom.Tls;
using Microsoft.Extensions.DependencyInjection;
using Polly.Registry;

namespace ChatRoom.Networking.Tests.Tls;

/// <summary>The peer's pin travels through the TLS-protected server: at login with the peer port, back out with the grant.</summary>
public sealed class PrivateChatOverTlsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task The_targets_pin_reaches_the_requester_with_the_grant_and_the_private_message_goes_over_tls()
    {
        var pfx = _certificates.WritePfx(_certificates.Server, "server.pfx");
        await using var server = await TestServer.StartAsync(server: o => o.TlsCertificatePath = pfx, transport: TestTransport.Sockets);
        var options = server.ClientOptions with { TlsPin = TlsCertificates.GetPin(_certificates.Server) };
        await using var services = new ServiceCollection().AddChatRoomPrivateDelivery(o => o.MaxRetryAttempts = 0).BuildServiceProvider();
        var pipeline = services.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline<PrivateDelivery>(PrivateMessenger.PipelineKey);

        using var columbiaCertificate = TlsCertificates.CreateSelfSigned("columbia", TimeSpan.FromHours(1), TimeProvider.System);
        await using var columbiaListener = new PeerListener(IPAddress.Loopback, 0, server.Time, columbiaCertificate);
        var (columbia, columbiaInbox) = await server.LoginAsync("columbia", options with { PeerPort = columbiaListener.Port, PeerPin = columbiaListener.CertificatePin });
        var (seas, seasInbox) = await server.LoginAsync("seas", options);
        await using var seasTransport = new TcpPeerTransport(requireTls: true, TimeProvider.System);
        var seasMessenger = new PrivateMessenger(seas, seasTransport, pipeline, null, TimeProvider.System);
        var columbiaMessenger = new PrivateMessenger(columbia, new TcpPeerTransport(), pipeline, columbiaListener, TimeProvider.System);

        await seas.RequestAddressAsync("columbia");
        await columbia.AnswerConsentAsync((await columbiaInbox.WaitForAsync<ConsentRequestNotice>()).Requester, allow: true);
        columbiaMessenger.Accept((await columbiaInbox.WaitForAsync<ConsentConfirmedNotice>()).Grant);
        var granted = await seasInbox.WaitForAsync<AddressGrantedNotice>();
        seasMessenger.Grant(granted);

        Assert.Equal(TlsCertificates.GetPin(columbiaCertificate), granted.PeerPin);
        Assert.Equal(PrivateRoute.Peer, (await seasMessenger.SendAsync("columbia", "pinned and private"))!.Route);
        var received = new Inbox(columbiaListener.Messages);
        Assert.Equal("pinned and private", (await received.WaitForAsync<MessageNotice>()).Message.Text);
    }

    [Fact]
    public async Task Without_a_pin_the_address_line_is_as_before_and_reads_back_with_no_pin()
    {
        var grant = new PeerGrant("me", "columbia", new string('a', 32), DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_000));
        var plain = new AddressGrantedNotice(grant, "10.0.0.7", 4000);

        var line = WireFormat.Format(plain);

        Assert.Equal($"address columbia 10.0.0.7 4000 {grant.Token} 1795000000000", line);
        Assert.Null(((AddressGrantedNotice)WireFormat.Parse(line, "me")).PeerPin);
    }

    [Fact]
    public void A_pin_rides_last_on_the_address_line_and_reads_back()
    {
        var grant = new PeerGrant("me", "columbia", new string('a', 32), DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_000));
        var pinned = new AddressGrantedNotice(grant, "10.0.0.7", 4000) { PeerPin = new string('b', 64) };

        var line = WireFormat.Format(pinned);

        Assert.EndsWith($" 1795000000000 {new string('b', 64)}", line, StringComparison.Ordinal);
        Assert.Equal(pinned, WireFormat.Parse(line, "me"));
    }

    [Fact]
    public async Task Login_takes_a_peer_pin_after_a_dash_for_the_address_and_refuses_a_malformed_one()
    {
        await using var server = await TestServer.StartAsync();
        await using var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");

        await raw.SendAsync("login seas summerisover 4000 - nothex\n");
        Assert.StartsWith("error", await raw.ExpectAsync("error"), StringComparison.Ordinal);

        await raw.SendAsync($"login seas summerisover 4000 - {new string('C', 64)}\n");
        await raw.ExpectAsync("ok login seas");
        var session = (await server.Services.GetRequiredService<ChatRoom.Presence.IPresenceService>().FindAsync("seas"))!;
        Assert.Equal((4000, null, new string('c', 64)), (session.PeerPort!.Value, session.PeerAddress, session.PeerPin));
    }
}
