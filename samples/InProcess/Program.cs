// The ChatRoom core alone, wired by DI with no sockets: users log in through the same session engine the TCP server
// uses (credentials checked, takeover, what was kept handed over, presence announced), message, block and log out,
// all in memory. PrintingConnection stands in for a transport; a test suite or a game server would do the same.
using ChatRoom;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Presence;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;

var services = new ServiceCollection()
    .AddChatRoomCredentials([new("alice", "wonderland"), new("bob", "builder"), new("carol", "singer")])
    .AddChatRoomCore();
await using var provider = services.BuildServiceProvider();
var sessions = provider.GetRequiredService<ISessionManager>();
var router = provider.GetRequiredService<IMessageRouter>();
var blacklist = provider.GetRequiredService<IBlacklistService>();

async Task<ChatSession?> LogInAsync(string user, string password)
{
    var connection = new PrintingConnection(user);
    var login = await sessions.LoginAsync(connection, user, password);
    Console.WriteLine($"login {user}: {login.Result}");
    if (login.Session is not { } session)
    {
        return null;
    }

    await sessions.StartAsync(session);
    return session;
}

await LogInAsync("alice", "not her password");
var alice = await LogInAsync("alice", "wonderland");
await LogInAsync("bob", "builder");
Console.WriteLine($"alice -> bob: {(await router.SendAsync("alice", "bob", "hello bob")).Outcome}");
Console.WriteLine($"alice -> carol (offline): {(await router.SendAsync("alice", "carol", "see you later")).Outcome}");
Console.WriteLine($"bob blocks alice: {await blacklist.BlockAsync("bob", "alice")}");
Console.WriteLine($"alice -> bob: {(await router.SendAsync("alice", "bob", "still there?")).Refusal}");
await LogInAsync("carol", "singer");
await sessions.LogoutAsync(alice!, LogoutReason.Requested);

/// <summary>Delivers notices by printing them, as a transport would write them to its client.</summary>
internal sealed class PrintingConnection(string user) : ISessionConnection
{
    public string RemoteAddress => "in-process";

    public PostOutcome TryPost(SessionNotice notice)
    {
        Console.WriteLine(notice switch
        {
            MessageNotice m => $"  {user} receives from {m.Message.From}{(m.FromOfflineStore ? " (kept while offline)" : string.Empty)}: {m.Message.Text}",
            PresenceNotice p => $"  {user} sees {p.User} {(p.Online ? "come online" : "go offline")}",
            _ => $"  {user} receives {notice}",
        });
        return PostOutcome.Queued;
    }

    public void Close(SessionEnd end) => Console.WriteLine($"  {user}'s connection closes: {end.Reason}");
}
