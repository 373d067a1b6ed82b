using System.CommandLine;
using ChatRoom.Shared;
using System.Net.Sockets;
using ChatRoom;
using ChatRoom.Auth;
using ChatRoom.Server;
using ChatRoom.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

const int BadUsage = CommandLineErrors.BadUsage;

// Where the server looks for the certificate's password when --tls-cert-password is not given (so it stays out of ps).
const string TlsPasswordVariable = "CHATROOM_TLS_CERT_PASSWORD";

var port = new Argument<int>("port") { Description = "TCP port to listen on", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => 5566 };
var credentials = new Option<FileInfo?>("--credentials") { Description = "users file: 'username password' a line, the password plain or a hash from hash-password (default: ./credentials.txt, else the copy beside the app)" };
var blockTime = new Option<double?>("--block-time") { Description = "seconds a user name stays locked for an address after 3 failed logins from it (default 60)" };
var heartbeatTimeout = new Option<double?>("--heartbeat-timeout") { Description = "seconds of silence after which a client is logged out (default 75)" };
var data = new Option<FileInfo?>("--data") { Description = "SQLite file for messages, blocks and lockouts (default: chatroom.db in the working directory)" };
var redis = new Option<string?>("--redis") { Description = "keep messages, blocks, lockouts and presence in Redis (a StackExchange.Redis configuration such as localhost:6379) so several servers share one state; replaces --data" };
var nodeId = new Option<string?>("--node-id") { Description = "this server's name among the nodes sharing --redis (letters, digits, . _ -; default: host name, process id and a random part)" };
var nodeLease = new Option<double?>("--node-lease") { Description = "seconds this node's lease in Redis lasts unless renewed: when the node dies, its users' sessions end one to two leases after its last renewal (default 10; 1 to 300; the same on every node)" };
var tlsCert = new Option<FileInfo?>("--tls-cert") { Description = "turn on TLS for every client: a PFX file, or a PEM certificate with --tls-key" };
var tlsKey = new Option<FileInfo?>("--tls-key") { Description = "the PEM private key for a PEM --tls-cert" };
var tlsPassword = new Option<string?>("--tls-cert-password") { Description = $"the PFX (or encrypted key) password; safer in the {TlsPasswordVariable} environment variable" };
var hashUser = new Argument<string?>("user") { Description = "the user name to put before the hash", Arity = ArgumentArity.ZeroOrOne };
var hashPassword = new Command("hash-password", "read a password (without echo; or one line of redirected input) and print the credentials-file line with its salted PBKDF2 hash") { hashUser };
var loginTimeout = new Option<double?>("--login-timeout") { Description = "seconds a connection may take to log in before it is closed (default 30)" };
var maxConnections = new Option<int?>("--max-connections") { Description = "connections open at once, in total (default 20000)" };
var maxConnectionsPerAddress = new Option<int?>("--max-connections-per-address") { Description = "connections open at once from one IP address (default 2000)" };
var messagesPerSecond = new Option<int?>("--max-messages-per-second") { Description = "messages and broadcasts one connection may send a second; the excess is refused (default 20000)" };
var commandsPerSecond = new Option<int?>("--max-commands-per-second") { Description = "lines of any kind one connection may send a second; the excess is refused (default 40000)" };
var maxRefusedLines = new Option<int?>("--max-refused-lines") { Description = "rate-limited lines within 10 s after which a connection is cut (default 1000)" };
var maxMailboxMessages = new Option<int?>("--max-mailbox-messages") { Description = "most unacknowledged messages kept for one recipient; more are refused with mailbox-full (default 5000)" };
var maxMailboxBytes = new Option<long?>("--max-mailbox-bytes") { Description = "most bytes of unacknowledged message text kept for one recipient (default 16777216)" };
var root = new RootCommand("ChatRoom message-center server")
{
    port, credentials, blockTime, heartbeatTimeout, data, redis, nodeId, nodeLease, tlsCert, tlsKey, tlsPassword, hashPassword, maxMailboxMessages, maxMailboxBytes,
    loginTimeout, maxConnections, maxConnectionsPerAddress, messagesPerSecond, commandsPerSecond, maxRefusedLines,
};

hashPassword.SetAction(result =>
{
    var user = result.GetValue(hashUser);
    if (user is not null && !UserNames.IsValid(user))
    {
        Console.Error.WriteLine($"error: '{user}' is not a valid user name");
        return BadUsage;
    }

    var password = ReadSecret("Password: ")?.Trim();
    if (string.IsNullOrEmpty(password))
    {
        Console.Error.WriteLine("error: no password given");
        return BadUsage;
    }

    if (!Console.IsInputRedirected && ReadSecret("Again: ")?.Trim() != password)
    {
        Console.Error.WriteLine("error: the passwords differ");
        return BadUsage;
    }

    var hash = PasswordHash.Create(password).ToString();
    Console.WriteLine(user is null ? hash : $"{user} {hash}");
    return 0;
});

root.SetAction(async (result, cancellationToken) =>
{
    var listenPort = result.GetValue(port);
    if (listenPort is < 0 or > 65535)
    {
        Console.Error.WriteLine($"error: port must be from 0 to 65535 (was {listenPort})");
        return BadUsage;
    }

    InMemoryCredentialSource users;
    var path = result.GetValue(credentials)?.FullName ?? DefaultCredentialsPath();
    try
    {
        users = CredentialFile.Load(path);
    }
    catch (CredentialFileException ex)
    {
        Console.Error.WriteLine($"error: credentials file {ex.Message}");
        return BadUsage;
    }

    if (result.GetValue(loginTimeout) is { } loginSeconds && !(loginSeconds >= 0.1 && loginSeconds <= 86_400))
    {
        Console.Error.WriteLine($"error: --login-timeout must be from 0.1 to 86400 seconds (was {loginSeconds})");
        return BadUsage;
    }

    var core = new ChatRoomOptions();
    if (result.GetValue(blockTime) is { } block)
    {
        core.LockoutDuration = TimeSpan.FromSeconds(block);
    }

    if (result.GetValue(heartbeatTimeout) is { } timeout)
    {
        core.HeartbeatTimeout = TimeSpan.FromSeconds(timeout);
    }

    if (result.GetValue(maxMailboxMessages) is { } mailboxMessages)
    {
        core.MaxMailboxMessages = mailboxMessages;
    }

    if (result.GetValue(maxMailboxBytes) is { } mailboxBytes)
    {
        core.MaxMailboxBytes = mailboxBytes;
    }

    // Check the values here, so a bad one is one clear line rather than a host start-up failure.
    var check = new ChatRoomOptionsValidator().Validate(null, core);
    if (check.Failed)
    {
        Console.Error.WriteLine($"error: {check.FailureMessage}");
        return BadUsage;
    }

    var redisConfiguration = result.GetValue(redis);
    var node = result.GetValue(nodeId);
    if (redisConfiguration is not null && result.GetValue(data) is not null)
    {
        Console.Error.WriteLine("error: --data and --redis cannot be used together: the state is either in one SQLite file or in Redis");
        return BadUsage;
    }

    if (node is not null && redisConfiguration is null)
    {
        Console.Error.WriteLine("error: --node-id needs --redis");
        return BadUsage;
    }

    var lease = result.GetValue(nodeLease);
    if (lease is not null && redisConfiguration is null)
    {
        Console.Error.WriteLine("error: --node-lease needs --redis");
        return BadUsage;
    }

    // The range is the options validator's (at host start); only what cannot be a TimeSpan at all is caught here.
    if (lease is { } leaseSeconds && !(Math.Abs(leaseSeconds) < TimeSpan.MaxValue.TotalSeconds / 2))
    {
        Console.Error.WriteLine($"error: --node-lease must be a number of seconds (was {leaseSeconds})");
        return BadUsage;
    }

    var dataPath = result.GetValue(data)?.FullName ?? Path.Combine(Environment.CurrentDirectory, "chatroom.db");
    SqliteChatStore? store = null;
    if (redisConfiguration is null)
    {
        try
        {
            store = await SqliteChatStore.OpenAsync(dataPath, cancellationToken: cancellationToken);
        }
        catch (ChatStoreException ex)
        {
            Console.Error.WriteLine($"error: data file {ex.Message}");

            // In use is not a usage error: like a port in use, it may clear when the other server stops.
            return ex.InUse ? 1 : BadUsage;
        }
    }

    await using var storeLifetime = store;
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.Logging.AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss ";
    });
    builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
    builder.Services.AddSingleton<ICredentialSource>(users);
    if (store is not null)
    {
        builder.Services.AddChatRoomSqliteStore(store);
    }
    else
    {
        builder.Services.AddChatRoomRedis(redisConfiguration!, o =>
        {
            o.NodeId = node;
            o.NodeLease = lease is { } seconds ? TimeSpan.FromSeconds(seconds) : o.NodeLease;
        });
    }

    var certificate = result.GetValue(tlsCert)?.FullName;
    var key = result.GetValue(tlsKey)?.FullName;
    var password = result.GetValue(tlsPassword) ?? Environment.GetEnvironmentVariable(TlsPasswordVariable);
    if (certificate is null && key is not null)
    {
        Console.Error.WriteLine("error: --tls-key needs --tls-cert");
        return BadUsage;
    }

    builder.Services.AddChatRoomServer(o =>
    {
        o.Port = listenPort;
        o.TlsCertificatePath = certificate;
        o.TlsKeyPath = key;
        o.TlsCertificatePassword = certificate is null ? null : password;
        o.LoginTimeout = result.GetValue(loginTimeout) is { } login ? TimeSpan.FromSeconds(login) : o.LoginTimeout;
        o.MaxConnections = result.GetValue(maxConnections) ?? o.MaxConnections;
        o.MaxConnectionsPerAddress = result.GetValue(maxConnectionsPerAddress) ?? o.MaxConnectionsPerAddress;
        o.MessagesPerSecond = result.GetValue(messagesPerSecond) ?? o.MessagesPerSecond;
        o.CommandsPerSecond = result.GetValue(commandsPerSecond) ?? o.CommandsPerSecond;
        o.MaxRefusedLines = result.GetValue(maxRefusedLines) ?? o.MaxRefusedLines;
    });
    builder.Services.Configure<ChatRoomOptions>(o =>
    {
        o.LockoutDuration = core.LockoutDuration;
        o.HeartbeatTimeout = core.HeartbeatTimeout;
        o.MaxMailboxMessages = core.MaxMailboxMessages;
        o.MaxMailboxBytes = core.MaxMailboxBytes;
    });

    using var host = builder.Build();
    CredentialFile.WarnAboutPlaintext(users, path, host.Services.GetRequiredService<ILogger<InMemoryCredentialSource>>());
    try
    {
        await host.StartAsync(cancellationToken);
    }
    catch (OptionsValidationException ex)
    {
        Console.Error.WriteLine($"error: {ex.Message}");
        return BadUsage;
    }
    catch (SocketException ex)
    {
        Console.Error.WriteLine($"error: cannot listen on port {listenPort}: {ex.Message}");
        return 1;
    }

    var server = host.Services.GetRequiredService<ChatServer>();
    var link = certificate is null ? "plain TCP" : $"TLS (certificate {certificate})";
    // The Redis servers' addresses only: the configuration string may hold a password.
    var state = store is not null
        ? $"data in {dataPath}"
        : $"state in Redis at {string.Join(",", StackExchange.Redis.ConfigurationOptions.Parse(redisConfiguration!).EndPoints)} as node {host.Services.GetRequiredService<ChatRoom.Cluster.IClusterBus>().NodeId}";
    Console.WriteLine($"ChatRoom server listening on {string.Join(", ", server.GetReachableEndPoints())} ({link}) with users from {path} and {state}. Ctrl-C stops it.");
    await host.WaitForShutdownAsync(CancellationToken.None);
    return 0;
});

// Parsed once every action is set: a root with a subcommand and no action yet would be "a command is required".
var parsed = root.Parse(args);
if (CommandLineErrors.Report(parsed) is { } badUsage)
{
    return badUsage;
}

return await parsed.InvokeAsync();

// Reads a line without echoing it at a terminal; redirected input is read as one plain line.
static string? ReadSecret(string prompt)
{
    if (Console.IsInputRedirected)
    {
        return Console.In.ReadLine();
    }

    Console.Error.Write(prompt);
    var typed = new System.Text.StringBuilder();
    while (true)
    {
        var key = Console.ReadKey(intercept: true);
        switch (key.Key)
        {
            case ConsoleKey.Enter:
                Console.Error.WriteLine();
                return typed.ToString();
            case ConsoleKey.Backspace when typed.Length > 0:
                typed.Length--;
                break;
            default:
                if (!char.IsControl(key.KeyChar))
                {
                    typed.Append(key.KeyChar);
                }

                break;
        }
    }
}

static string DefaultCredentialsPath()
{
    var local = Path.Combine(Environment.CurrentDirectory, "credentials.txt");
    return File.Exists(local) ? local : Path.Combine(AppContext.BaseDirectory, "credentials.txt");
}
