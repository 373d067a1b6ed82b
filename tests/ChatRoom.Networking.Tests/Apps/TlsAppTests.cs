using System.Globalization;
using ChatRoom.Networking.Tests.Tls;
using ChatRoom.Tls;

namespace ChatRoom.Networking.Tests.Apps;

/// <summary>The console server with <c>--tls-cert</c> and the console client's ways of checking it, as real processes.</summary>
public sealed class TlsAppTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    private async Task<(AppProcess Server, string Port)> StartTlsServerAsync()
    {
        var pfx = _certificates.WritePfx(_certificates.Server, "server.pfx", "app-secret");
        var (server, port) = await AppProcess.StartServerAsync("--tls-cert", pfx, "--tls-cert-password", "app-secret");
        Assert.Contains(server.Lines, l => l.Contains("(TLS (certificate", StringComparison.Ordinal));
        return (server, port.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Clients_checking_by_pin_and_by_ca_file_chat_over_tls()
    {
        var (server, port) = await StartTlsServerAsync();
        await using var _ = server;
        await using var columbia = AppProcess.Client("127.0.0.1", port, "--tls-pin", TlsCertificates.GetPin(_certificates.Server));
        await columbia.LogInAsync("columbia");
        await using var seas = AppProcess.Client("127.0.0.1", port, "--tls-ca", _certificates.WritePem(_certificates.Authority, "ca.pem"));
        await seas.LogInAsync("seas");

        await seas.WriteLineAsync("message columbia sealed");

        await columbia.WaitForLineAsync(l => l == "seas: sealed");
    }

    [Fact]
    public async Task A_client_with_the_wrong_pin_exits_with_cannot_connect()
    {
        var (server, port) = await StartTlsServerAsync();
        await using var _ = server;
        await using var client = AppProcess.Client("127.0.0.1", port, "--tls-pin", new string('0', 64));

        Assert.Equal(1, await client.WaitForExitAsync());
        Assert.Contains(client.Lines, l => l.StartsWith("error: cannot connect securely", StringComparison.Ordinal) && l.Contains("not trusted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Insecure_mode_warns_at_start_and_still_connects()
    {
        var (server, port) = await StartTlsServerAsync();
        await using var _ = server;
        await using var client = AppProcess.Client("127.0.0.1", port, "--tls-insecure");

        await client.LogInAsync("google");

        Assert.Contains(client.Lines, l => l.StartsWith("warning: --tls-insecure", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_ways_of_checking_at_once_is_bad_usage()
    {
        await using var client = AppProcess.Client("127.0.0.1", "1", "--tls-insecure", "--tls-pin", new string('0', 64));

        Assert.Equal(2, await client.WaitForExitAsync());
    }

    [Fact]
    public async Task A_server_with_a_missing_certificate_refuses_to_start_naming_the_option()
    {
        await using var server = AppProcess.Server("0", "--tls-cert", Path.Combine(_certificates.Directory, "missing.pfx"));

        Assert.Equal(2, await server.WaitForExitAsync());
        Assert.Contains(server.Lines, l => l.Contains("TlsCertificatePath", StringComparison.Ordinal));
    }
}
