// A ChatRoom server inside an ordinary generic-host app: its own options, users defined in code instead of a file.
using ChatRoom;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var port = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5577;
var builder = Host.CreateApplicationBuilder();
builder.Services.AddChatRoomCredentials(
[
    new("alice", "wonderland"),
    new("bob", "builder"),
    new("bot", "beep-boop"),
]);
builder.Services.AddChatRoomServer(o =>
{
    o.Port = port;
    o.ServerName = "EmbeddedChat";
});
builder.Services.Configure<ChatRoomOptions>(o => o.LockoutDuration = TimeSpan.FromSeconds(30));

// Messages, blocks and lockouts stay in memory here; for a durable store, see AddChatRoomSqliteStore in the
// ChatRoom.Storage.Sqlite package.
await builder.Build().RunAsync();
