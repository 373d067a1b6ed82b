using System.CommandLine;
using ChatRoom.Shared;
using System.Net;
using System.Net.Sockets;
using ChatRoom;
using ChatRoom.Auth;
using ChatRoom.Client;
using ChatRoom.ClientApp;
using ChatRoom.Peer;
using ChatRoom.Sessions;
using ChatRoom.Tls;
using Microsoft.Extensions.DependencyInjection;
using Polly.Registry;

// After logout, how long to wait for the server's goodbye before exiting anyway.
var goodbyeWait = TimeSpan.FromSeconds(5);

// How long the certificate made for private chats lasts: a day covers a session; a client running longer has its
// private chats go through the server once it expires (peers refuse an expired pin).
var peerCertificateLifetime = TimeSpan.FromDays(1);

var servers = new Argument<string[]>("server")
{
    Description = "the server: HOST PORT, or one or more HOST:PORT (nodes of one cluster) tried in order, and in turn when reconnecting",
    Arity = ArgumentArity.OneOrMore,
};
var reconnectFor = new Option<double>("--reconnect-for")
{
    Description = "after losing the server, how many seconds to keep trying to log in again, with backoff, at the next server (0: do not reconnect)",
    DefaultValueFactory = _ => 300,
};
var heartbeat = new Option<double?>("--heartbeat-interval") { Description = "seconds between heartbeats (default: as the server asks)" };
var peerPort = new Option<int>("--p2p-port") { Description = "port to accept private chats on (default: a free one)" };
var peerAddress = new Option<string?>("--p2p-address") { Description = "address to accept private chats on and to give peers (default: every address; peers use the one the server sees)" };
var tls = new Option<bool>("--tls") { Description = "speak TLS to the server, checking its certificate against the system's trusted roots" };
var tlsCa = new Option<FileInfo?>("--tls-ca") { Description = "speak TLS, checking the server's certificate against this CA certificate file (PEM or DER)" };
var tlsPin = new Option<string?>("--tls-pin") { Description = "speak TLS, accepting only the server certificate with this SHA-256 fingerprint" };
var tlsInsecure = new Option<bool>("--tls-insecure") { Description = "speak TLS but accept any certificate: for local tests only" };
var root = new RootCommand("ChatRoom console client") { servers, reconnectFor, heartbeat, peerPort, peerAddress, tls, tlsCa, tlsPin, tlsInsecure };
var parsed = root.Parse(args);
if (CommandLineErrors.Report(parsed) is { } badUsage)
{
    return badUsage;
}

root.SetAction(async (result, cancellationToken) =>
{
    var listenAddress = result.GetValue(peerAddress);
    IPAddress? bindAddress = null;
    if (listenAddress is not null && !IPAddress.TryParse(listenAddress, out bindAddress))
    {
        Console.Error.WriteLine($"error: --p2p-address must be an IP address (was {listenAddress})");
        return ExitCodes.BadUsage;
    }

    if (ServerAddresses.Parse(result.GetValue(servers)!, out var serverError) is not { } serverList)
    {
        Console.Error.WriteLine($"error: {serverError}");
        return ExitCodes.BadUsage;
    }

    var reconnectSeconds = result.GetValue(reconnectFor);
    if (reconnectSeconds is < 0 or > 86_400 || double.IsNaN(reconnectSeconds))
    {
        Console.Error.WriteLine($"error: --reconnect-for must be from 0 to 86400 seconds (was {reconnectSeconds})");
        return ExitCodes.BadUsage;
    }

    var useTls = result.GetValue(tls) || result.GetValue(tlsCa) is not null || result.GetValue(tlsPin) is not null || result.GetValue(tlsInsecure);
    if (result.GetValue(tlsInsecure))
    {
        // Every start, so it is never forgotten in a script.
        Console.Error.WriteLine("warning: --tls-insecure: the server's certificate is not checked, so anyone in between can read and change everything; use it only for local tests");
    }

    // With TLS to the server, private chats are encrypted too: a certificate made now, proven to peers by its pin,
    // which reaches them through the TLS-protected server with the grant.
    using var peerCertificate = useTls ? TlsCertificates.CreateSelfSigned("chatroom-peer", peerCertificateLifetime, TimeProvider.System) : null;
    PeerListener listener;
    try
    {
        listener = new PeerListener(bindAddress ?? IPAddress.Any, result.GetValue(peerPort), TimeProvider.System, peerCertificate);
    }
    catch (Exception ex) when (ex is SocketException or ArgumentOutOfRangeException)
    {
        Console.Error.WriteLine($"error: cannot accept private chats on port {result.GetValue(peerPort)}: {ex.Message}");
        return ExitCodes.BadUsage;
    }

    await using var peerListener = listener;
    await using var services = new ServiceCollection()
        .AddChatRoomClient(o => o with
        {
            Servers = serverList,

            // A node that dies, a restart or a rolling upgrade: log in again elsewhere rather than leave the person stranded.
            Reconnect = reconnectSeconds > 0 ? new ChatClientReconnectOptions { GiveUpAfter = TimeSpan.FromSeconds(reconnectSeconds) } : null,
            HeartbeatInterval = result.GetValue(heartbeat) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            PeerPort = listener.Port,
            PeerAddress = listenAddress,
            PeerPin = listener.CertificatePin,
            UseTls = useTls,
            TlsCaCertificatePath = result.GetValue(tlsCa)?.FullName,
            TlsPin = result.GetValue(tlsPin),
            TlsAllowUntrusted = result.GetValue(tlsInsecure),

            // A message is acknowledged once its line has been written out, not when it arrives (see PumpNoticesAsync).
            AutoAcknowledge = false,
        })
        .AddChatRoomPrivateDelivery()
        .BuildServiceProvider();
    IChatClientFactory factory;
    try
    {
        factory = services.GetRequiredService<IChatClientFactory>();
    }
    catch (ArgumentException ex)
    {
        Console.Error.WriteLine($"error: {ex.Message}");
        return ExitCodes.BadUsage;
    }

    await using var transport = new TcpPeerTransport(requireTls: useTls, TimeProvider.System);

    ChatClient client;
    try
    {
        client = await factory.ConnectAsync(cancellationToken);
    }
    catch (ChatConnectionException ex)
    {
        Console.Error.WriteLine($"error: {ex.Message}");
        return ExitCodes.CannotConnect;
    }

    await using (client)
    {
        var terminal = new Terminal();
        terminal.WriteLine($"connected to {client.ServerHello.ServerName} at {client.Server}");
        if (!await LogInAsync(client, terminal, cancellationToken))
        {
            return ExitCodes.NotLoggedIn;
        }

        var pipeline = services.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline<PrivateDelivery>(PrivateMessenger.PipelineKey);
        var messenger = new PrivateMessenger(client, transport, pipeline, listener, TimeProvider.System);
        var shell = new ChatShell(client, terminal.WriteLine, messenger);
        var disconnected = PumpNoticesAsync(client, shell, terminal);
        _ = PumpPrivateAsync(listener, terminal);
        while (true)
        {
            var reading = Task.Run(() => terminal.ReadLine(), CancellationToken.None);
            if (await Task.WhenAny(reading, disconnected) == disconnected)
            {
                return ChatShell.ExitCodeFor(await disconnected);
            }

            var line = await reading;
            try
            {
                if (line is null)
                {
                    // End of input: leave politely.
                    await client.LogoutAsync(cancellationToken);
                    return ChatShell.ExitCodeFor(await disconnected.WaitAsync(goodbyeWait, cancellationToken));
                }

                if (!await shell.ExecuteAsync(line, cancellationToken))
                {
                    return ChatShell.ExitCodeFor(await disconnected.WaitAsync(goodbyeWait, cancellationToken));
                }
            }
            catch (Exception ex) when (ex is ChatConnectionException or ChatProtocolException or ArgumentException)
            {
                // A lost connection ends the session through the notices (after reconnecting, if on, gave up): until
                // then the next line may well go through.
                terminal.WriteLine($"! {ex.Message}");
                if (line is null)
                {
                    return ChatShell.ExitCodeFor(await disconnected);
                }
            }
        }
    }
});

return await parsed.InvokeAsync();

static async Task<bool> LogInAsync(ChatClient client, Terminal terminal, CancellationToken cancellationToken)
{
    while (true)
    {
        terminal.WriteLine("Username:");
        var user = terminal.ReadLine()?.Trim();
        if (user is null)
        {
            return false;
        }

        while (true)
        {
            terminal.WriteLine("Password:");
            var password = terminal.ReadLine(secret: true)?.Trim();
            if (password is null)
            {
                return false;
            }

            LoginResult result;
            try
            {
                result = await client.LoginAsync(user, password, cancellationToken);
            }
            catch (ArgumentException)
            {
                terminal.WriteLine("user names and passwords are single words");
                break;
            }
            catch (ChatConnectionException ex)
            {
                terminal.WriteLine($"! {ex.Message}");
                return false;
            }

            terminal.WriteLine(ChatShell.Describe(result, user));
            if (result is LoginSuccess)
            {
                return true;
            }

            // A slowdown lasts seconds: ask again. A lock or a failing server ends the attempt, as the course client did.
            if (result is LoginLocked or LoginAddressLocked or LoginUnavailable)
            {
                break;
            }
        }
    }
}

static async Task PumpPrivateAsync(PeerListener listener, Terminal terminal)
{
    await foreach (var message in listener.Messages)
    {
        if (ChatShell.Describe(message) is { } line)
        {
            terminal.WriteLine(line);
        }
    }
}

// Each message is acknowledged only after its line is written and flushed: if the output blocks (a paused terminal, a
// pager) the server keeps what was not shown, and a killed client gets it again at the next login.
static async Task<DisconnectedNotice> PumpNoticesAsync(ChatClient client, ChatShell shell, Terminal terminal)
{
    await foreach (var notice in client.Notices)
    {
        if (shell.Observe(notice) is { } line)
        {
            terminal.WriteLine(line);
        }

        if (notice is MessageNotice message)
        {
            client.Acknowledge(message);
        }

        if (notice is DisconnectedNotice disconnected)
        {
            return disconnected;
        }
    }

    return new DisconnectedNotice("connection-lost");
}
