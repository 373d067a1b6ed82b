using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Text;
using ChatRoom.Client;
using ChatRoom.Server;
using ChatRoom.Server.Diagnostics;
using ChatRoom.Tls;
using ChatRoom.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatRoom.Networking.Tests.Tls;

/// <summary>The server's TLS over real loopback sockets, with the SDK client's ways of checking it.</summary>
public sealed class ServerTlsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    private Task<TestServer> StartTlsServerAsync(Action<ChatServerOptions>? configure = null, bool realClock = false)
        => TestServer.StartAsync(
            server: o =>
            {
                o.TlsCertificatePath = _certificates.WritePfx(_certificates.Server, "server.pfx", "secret");
                o.TlsCertificatePassword = "secret";
                configure?.Invoke(o);
            },
            services: realClock
                ? s => s.AddSingleton<IConnectionListenerFactory>(sp => new SocketTransport(sp.GetRequiredService<IOptions<ChatServerOptions>>(), TimeProvider.System, NullLogger<SocketTransport>.Instance))
                : null,
            transport: TestTransport.Sockets);

    [Fact]
    public async Task Clients_pinned_to_the_server_certificate_log_in_and_chat_over_tls()
    {
        await using var server = await StartTlsServerAsync();
        var options = server.ClientOptions with { TlsPin = TlsCertificates.GetPin(_certificates.Server) };

        var (seas, _) = await server.LoginAsync("seas", options);
        var (_, columbiaInbox) = await server.LoginAsync("columbia", options);
        await seas.SendAsync("columbia", "over tls");

        Assert.Equal("over tls", (await columbiaInbox.WaitForAsync<ChatRoom.Sessions.MessageNotice>()).Message.Text);
    }

    [Fact]
    public async Task A_pin_written_with_colons_and_capitals_is_the_same_pin()
    {
        await using var server = await StartTlsServerAsync();
        var colons = string.Join(':', Convert.FromHexString(TlsCertificates.GetPin(_certificates.Server)).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

        await using var client = await server.ConnectAsync(server.ClientOptions with { TlsPin = colons });

        Assert.Equal("ChatRoom", client.ServerHello.ServerName);
    }

    [Fact]
    public async Task A_client_with_the_ca_file_accepts_a_certificate_the_ca_issued()
    {
        await using var server = await StartTlsServerAsync();
        var ca = _certificates.WritePem(_certificates.Authority, "ca.pem");

        var (client, _) = await server.LoginAsync("seas", server.ClientOptions with { TlsCaCertificatePath = ca });

        Assert.Equal("seas", client.User);
    }

    [Fact]
    public async Task The_server_also_takes_a_pem_certificate_and_key()
    {
        var cert = _certificates.WritePem(_certificates.Server, "server.crt");
        var key = _certificates.WriteKeyPem(_certificates.Server, "server.key");
        await using var server = await StartTlsServerAsync(o =>
        {
            o.TlsCertificatePath = cert;
            o.TlsKeyPath = key;
            o.TlsCertificatePassword = null;
        });

        await using var client = await server.ConnectAsync(server.ClientOptions with { TlsPin = TlsCertificates.GetPin(_certificates.Server) });

        Assert.Equal("ChatRoom", client.ServerHello.ServerName);
    }

    [Fact]
    public async Task A_wrong_pin_is_refused_before_anything_is_sent()
    {
        await using var server = await StartTlsServerAsync();
        using var other = TlsCertificates.CreateSelfSigned("someone-else", TimeSpan.FromHours(1), TimeProvider.System);

        var error = await Assert.ThrowsAsync<ChatConnectionException>(() => server.ConnectAsync(server.ClientOptions with { TlsPin = TlsCertificates.GetPin(other) }));

        Assert.Contains("not trusted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_system_store_does_not_trust_a_private_ca()
    {
        await using var server = await StartTlsServerAsync();

        var error = await Assert.ThrowsAsync<ChatConnectionException>(() => server.ConnectAsync(server.ClientOptions with { UseTls = true }));

        Assert.Contains("not trusted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_from_another_ca_is_refused()
    {
        await using var server = await StartTlsServerAsync();
        using var otherCa = TestCertificates.CreateAuthority("Someone Else's CA");
        var ca = _certificates.WritePem(otherCa, "other-ca.pem");

        var error = await Assert.ThrowsAsync<ChatConnectionException>(() => server.ConnectAsync(server.ClientOptions with { TlsCaCertificatePath = ca }));

        Assert.Contains("not trusted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_certificate_is_refused_even_from_the_trusted_ca_or_by_its_pin()
    {
        var expired = _certificates.Own(TestCertificates.Issue(_certificates.Authority, DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1)));
        var path = _certificates.WritePfx(expired, "expired.pfx");
        await using var server = await StartTlsServerAsync(o =>
        {
            o.TlsCertificatePath = path;
            o.TlsCertificatePassword = null;
        });
        var ca = _certificates.WritePem(_certificates.Authority, "ca.pem");

        await Assert.ThrowsAsync<ChatConnectionException>(() => server.ConnectAsync(server.ClientOptions with { TlsCaCertificatePath = ca }));
        await Assert.ThrowsAsync<ChatConnectionException>(() => server.ConnectAsync(server.ClientOptions with { TlsPin = TlsCertificates.GetPin(expired) }));
    }

    [Fact]
    public async Task Insecure_mode_accepts_any_certificate()
    {
        await using var server = await StartTlsServerAsync();

        await using var client = await server.ConnectAsync(server.ClientOptions with { TlsAllowUntrusted = true });

        Assert.Equal("ChatRoom", client.ServerHello.ServerName);
    }

    [Fact]
    public async Task A_tls_client_at_a_plaintext_server_gets_a_clear_error_at_once()
    {
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ChatConnectionException>(() => server.ConnectAsync(server.ClientOptions with { TlsAllowUntrusted = true }));

        Assert.Contains("may not speak TLS", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < server.ClientOptions.ConnectTimeout, $"took {clock.Elapsed}: it waited for the timeout");
    }

    [Fact]
    public async Task A_plaintext_client_at_a_tls_server_is_told_tls_is_required_before_its_own_timeout()
    {
        await using var server = await StartTlsServerAsync(o => o.TlsHandshakeTimeout = TimeSpan.FromMilliseconds(300), realClock: true);

        var error = await Assert.ThrowsAsync<ChatConnectionException>(() => server.ConnectAsync());

        Assert.Equal("the server accepts only TLS connections; connect with TLS", error.Message);
    }

    [Fact]
    public async Task A_plaintext_line_at_a_tls_server_is_answered_in_plain_text_and_closed()
    {
        await using var server = await StartTlsServerAsync();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", server.Port);
        await socket.SendAsync(Encoding.UTF8.GetBytes("login seas summerisover\n"));

        var answer = await ReadToEndAsync(socket);

        Assert.StartsWith("bye tls-required :", answer, StringComparison.Ordinal);
        await WaitForNoConnectionsAsync(server);
    }

    [Fact]
    public async Task A_plaintext_client_at_a_tls_server_is_counted_as_refused_for_tls()
    {
        await using var server = await StartTlsServerAsync();
        using var refused = new MetricCollector<long>(server.Services.GetRequiredService<IMeterFactory>(), ChatServerMetrics.MeterName, "chatroom.connections.refused");
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", server.Port);
        await socket.SendAsync(Encoding.UTF8.GetBytes("help\n"));

        Assert.StartsWith("bye tls-required :", await ReadToEndAsync(socket), StringComparison.Ordinal);

        var measurement = Assert.Single(refused.GetMeasurementSnapshot());
        Assert.Equal((1L, "tls_required"), (measurement.Value, measurement.Tags["reason"]));
    }

    [Fact]
    public async Task A_client_that_starts_a_handshake_and_stalls_is_dropped_at_the_handshake_deadline()
    {
        await using var server = await StartTlsServerAsync(o => o.TlsHandshakeTimeout = TimeSpan.FromMilliseconds(300), realClock: true);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", server.Port);

        // The first byte of a TLS record, then nothing.
        await socket.SendAsync(new byte[] { 0x16 });

        Assert.Equal(string.Empty, await ReadToEndAsync(socket));
        await WaitForNoConnectionsAsync(server);
    }

    [Fact]
    public async Task A_missing_certificate_file_stops_the_start_naming_the_option()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartTlsServerAsync(o => o.TlsCertificatePath = Path.Combine(_certificates.Directory, "missing.pfx")));

        Assert.Contains(nameof(ChatServerOptions.TlsCertificatePath), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_certificate_password_stops_the_start_naming_the_option()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartTlsServerAsync(o => o.TlsCertificatePassword = "wrong"));

        Assert.Contains(nameof(ChatServerOptions.TlsCertificatePath), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_without_its_key_stops_the_start()
    {
        using var publicOnly = X509CertificateLoaderPublic(_certificates.Server);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartTlsServerAsync(o => o.TlsCertificate = publicOnly));

        Assert.Contains("no private key", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a-pin")]
    [InlineData("0123")]
    [InlineData("zz23456789012345678901234567890123456789012345678901234567890123")]
    public void Client_options_refuse_a_malformed_pin(string pin)
    {
        var options = new ChatClientOptions { TlsPin = pin };

        Assert.Throws<ArgumentException>(options.Validate);
    }

    [Fact]
    public void Client_options_take_one_way_of_checking_the_server()
    {
        var options = new ChatClientOptions { TlsPin = new string('a', 64), TlsAllowUntrusted = true };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Choose one way", error.Message, StringComparison.Ordinal);
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 X509CertificateLoaderPublic(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
        => System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.RawData);

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TestServer.Wait);
        var received = new List<byte>();
        var buffer = new byte[1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        return Encoding.UTF8.GetString([.. received]);
    }

    private static async Task WaitForNoConnectionsAsync(TestServer server)
    {
        using var timeout = new CancellationTokenSource(TestServer.Wait);
        while (server.Server.ConnectionCount > 0)
        {
            // Connection teardown has no event to wait on; a short yield in a bounded loop.
            await Task.Delay(10, timeout.Token);
        }
    }
}
