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

var port = new Argument<int>("port") { Description = "TCP port to listen on", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => 5566 };
var credentials = new Option<FileInfo?>("--credentials") { Description = "users file: 'username password' a line (default: ./credentials.txt, else the copy beside the app)" };
var blockTime = new Option<double?>("--block-time") { Description = "seconds a user name stays locked after 3 failed logins (default 60)" };
var heartbeatTimeout = new Option<double?>("--heartbeat-timeout") { Description = "seconds of silence after which a client is logged out (default 75)" };
var data = new Option<FileInfo?>("--data") { Description = "SQLite file for messages, blocks and lockouts (default: chatroom.db in the working directory)" };
var maxMailboxMessages = new Option<int?>("--max-mailbox-messages") { Description = "most unacknowledged messages kept for one recipient; more are refused with mailbox-full (default 5000)" };
var maxMailboxBytes = new Option<long?>("--max-mailbox-bytes") { Description = "most bytes of unacknowledged message text kept for one recipient (default 16777216)" };
var root = new RootCommand("ChatRoom message-center server") { port, credentials, blockTime, heartbeatTimeout, data, maxMailboxMessages, maxMailboxBytes };

var parsed = root.Parse(args);
if (CommandLineErrors.Report(parsed) is { } badUsage)
{
    return badUsage;
}

root.SetAction(async (result, cancellationToken) =>
{
    var listenPort = result.GetValue(port);
    if (listenPort is < 0 or > 65535)
    {
        Console.Error.WriteLine($"error: port must be from 0 to 65535 (was {listenPort})");
        return BadUsage;
    }

    ICredentialSource users;
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

    var dataPath = result.GetValue(data)?.FullName ?? Path.Combine(Environment.CurrentDirectory, "chatroom.db");
    SqliteChatStore store;
    try
    {
        store = await SqliteChatStore.OpenAsync(dataPath, cancellationToken);
    }
    catch (ChatStoreException ex)
    {
        Console.Error.WriteLine($"error: data file {ex.Message}");

        // In use is not a usage error: like a port in use, it may clear when the other server stops.
        return ex.InUse ? 1 : BadUsage;
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
    builder.Services.AddSingleton(users);
    builder.Services.AddChatRoomSqliteStore(store);
    builder.Services.AddChatRoomServer(o => o.Port = listenPort);
    builder.Services.Configure<ChatRoomOptions>(o =>
    {
        o.LockoutDuration = core.LockoutDuration;
        o.HeartbeatTimeout = core.HeartbeatTimeout;
        o.MaxMailboxMessages = core.MaxMailboxMessages;
        o.MaxMailboxBytes = core.MaxMailboxBytes;
    });

    using var host = builder.Build();
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
    Console.WriteLine($"ChatRoom server listening on {string.Join(", ", server.GetReachableEndPoints())} with users from {path} and data in {dataPath}. Ctrl-C stops it.");
    await host.WaitForShutdownAsync(CancellationToken.None);
    return 0;
});

return await parsed.InvokeAsync();

static string DefaultCredentialsPath()
{
    var local = Path.Combine(Environment.CurrentDirectory, "credentials.txt");
    return File.Exists(local) ? local : Path.Combine(AppContext.BaseDirectory, "credentials.txt");
}
