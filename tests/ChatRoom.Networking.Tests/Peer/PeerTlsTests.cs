using System.Net;
using System.Security.Cryptography.X509Certificates;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Peer;
using ChatRoom.Sessions;
using ChatRoom.Tls;
using Microsoft.Extensions.Time.Testing;

namespace ChatRoom.Networking.Tests.Peer;

/// <summary>Peer-to-peer over TLS: the requester trusts the target's self-signed certificate only by the pin the server handed over.</summary>
public sealed class PeerTlsTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    // Grants run on a fake clock; certificates are checked against the real one, as they are made from it.
    private readonly FakeTimeProvider _time = new(Now);
    private readonly X509Certificate2 _certificate = TlsCertificates.CreateSelfSigned("columbia", TimeSpan.FromHours(1), TimeProvider.System);
    private readonly PeerListener _listener;
    private readonly TcpPeerTransport _transport = new(requireTls: true, TimeProvider.System);
    private readonly PeerGrant _grant = PeerGrant.Create("seas", "columbia", Now.AddMinutes(10));

    public PeerTlsTests()
    {
        _listener = new PeerListener(IPAddress.Loopback, 0, _time, _certificate);
    }

    public async ValueTask DisposeAsync()
    {
        await _transport.DisposeAsync();
        await _listener.DisposeAsync();
        _certificate.Dispose();
    }

    [Fact]
    public async Task A_message_goes_over_tls_when_the_peer_proves_the_pinned_certificate()
    {
        _listener.Accept(_grant);

        await _transport.SendAsync(Route(_grant), Message("over tls"), CancellationToken.None);

        Assert.Equal(TlsCertificates.GetPin(_certificate), _listener.CertificatePin);
        Assert.Equal("over tls", (await NextAsync(_listener)).Message.Text);
    }

    [Fact]
    public async Task A_man_in_the_middle_with_another_certificate_gets_neither_the_grant_nor_the_message()
    {
        // The impostor even holds the grant: it still cannot prove the pinned certificate, so nothing is sent to it.
        using var impostorCertificate = TlsCertificates.CreateSelfSigned("columbia", TimeSpan.FromHours(1), TimeProvider.System);
        await using var impostor = new PeerListener(IPAddress.Loopback, 0, _time, impostorCertificate);
        impostor.Accept(_grant);
        var toImpostor = Route(_grant) with { Port = impostor.Port };

        var error = await Assert.ThrowsAsync<PeerUnavailableException>(() => _transport.SendAsync(toImpostor, Message("secret"), CancellationToken.None));

        Assert.Contains("did not prove the certificate", error.Message, StringComparison.Ordinal);
        await impostor.DisposeAsync();
        Assert.Empty(await ReadAllAsync(impostor));
    }

    [Fact]
    public async Task A_forged_grant_over_tls_is_refused()
    {
        _listener.Accept(_grant);
        var forged = _grant with { Token = new string('0', 32) };

        await Assert.ThrowsAsync<PeerUnavailableException>(() => _transport.SendAsync(Route(forged), Message("x"), CancellationToken.None));

        await _listener.DisposeAsync();
        Assert.Empty(await ReadAllAsync(_listener));
    }

    [Fact]
    public async Task A_grant_replayed_after_it_expired_is_refused_over_tls()
    {
        _listener.Accept(_grant);
        await _transport.SendAsync(Route(_grant), Message("while valid"), CancellationToken.None);
        await NextAsync(_listener);
        await _transport.DisposeAsync();
        _time.Advance(TimeSpan.FromMinutes(11));

        // A fresh connection presenting the same grant: the one an eavesdropper would have to replay.
        await using var replayer = new TcpPeerTransport(requireTls: true, TimeProvider.System);
        await Assert.ThrowsAsync<PeerUnavailableException>(() => replayer.SendAsync(Route(_grant), Message("replayed"), CancellationToken.None));
    }

    [Fact]
    public async Task A_grant_presented_under_another_name_is_refused_over_tls()
    {
        _listener.Accept(_grant);
        var stolen = _grant with { Requester = "google" };

        await Assert.ThrowsAsync<PeerUnavailableException>(() => _transport.SendAsync(Route(stolen), Message("x"), CancellationToken.None));
    }

    [Fact]
    public async Task A_plaintext_requester_cannot_talk_to_a_tls_listener()
    {
        _listener.Accept(_grant);
        await using var plaintext = new TcpPeerTransport();

        await Assert.ThrowsAsync<PeerUnavailableException>(() => plaintext.SendAsync(new PeerRoute("127.0.0.1", _listener.Port, _grant), Message("x"), CancellationToken.None));

        await _listener.DisposeAsync();
        Assert.Empty(await ReadAllAsync(_listener));
    }

    [Fact]
    public async Task A_transport_that_requires_tls_never_contacts_a_peer_that_offers_none()
    {
        await using var plaintextListener = new PeerListener(IPAddress.Loopback, 0, _time);
        plaintextListener.Accept(_grant);

        var error = await Assert.ThrowsAsync<PeerUnavailableException>(() => _transport.SendAsync(new PeerRoute("127.0.0.1", plaintextListener.Port, _grant), Message("x"), CancellationToken.None));

        Assert.Contains("offers no TLS", error.Message, StringComparison.Ordinal);
        await plaintextListener.DisposeAsync();
        Assert.Empty(await ReadAllAsync(plaintextListener));
    }

    [Fact]
    public async Task An_expired_peer_certificate_is_refused_though_its_pin_matches()
    {
        var longAgo = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(-2));
        using var expired = TlsCertificates.CreateSelfSigned("columbia", TimeSpan.FromHours(1), longAgo);
        await using var stale = new PeerListener(IPAddress.Loopback, 0, _time, expired);
        stale.Accept(_grant);

        await Assert.ThrowsAsync<PeerUnavailableException>(() => _transport.SendAsync(new PeerRoute("127.0.0.1", stale.Port, _grant) { PeerPin = stale.CertificatePin }, Message("x"), CancellationToken.None));
    }

    [Fact]
    public void A_self_signed_peer_certificate_is_ecdsa_p256_with_the_asked_lifetime()
    {
        using var key = _certificate.GetECDsaPublicKey()!;

        Assert.Equal(256, key.KeySize);
        Assert.True(_certificate.HasPrivateKey);
        Assert.InRange(_certificate.NotAfter - _certificate.NotBefore, TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(62));
    }

    private PeerRoute Route(PeerGrant grant) => new("127.0.0.1", _listener.Port, grant) { PeerPin = _listener.CertificatePin };

    private ChatMessage Message(string text) => new(MessageId.New(_time), MessageKind.Private, "seas", "columbia", text, _time.GetUtcNow());

    private static async Task<MessageNotice> NextAsync(PeerListener listener)
    {
        using var timeout = new CancellationTokenSource(TestServer.Wait);
        await using var messages = listener.Messages.GetAsyncEnumerator(timeout.Token);
        Assert.True(await messages.MoveNextAsync(), "no private message arrived");
        return messages.Current;
    }

    // After dispose the stream is complete, so this returns everything the listener ever took.
    private static async Task<List<MessageNotice>> ReadAllAsync(PeerListener listener)
    {
        using var timeout = new CancellationTokenSource(TestServer.Wait);
        var all = new List<MessageNotice>();
        await foreach (var message in listener.Messages.WithCancellation(timeout.Token))
        {
            all.Add(message);
        }

        return all;
    }
}
