// The ChatRoom core alone, wired by DI with no sockets: users log in, message, block and get offline messages, all in
// memory. The outbox below stands in for a transport; a test suite or a game server would do the same.
using ChatRoom;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Presence;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;

var outbox = new PrintingOutbox();
var services = new ServiceCollection()
    .AddChatRoomCredentials([new("alice", "wonderland"), new("bob", "builder"), new("carol", "singer")])
    .AddSingleton<ISessionOutbox>(outbox)
    .AddChatRoomCore();
await using var provider = services.BuildServiceProvider();
var auth = provider.GetRequiredService<IAuthService>();
var presence = provider.GetRequiredService<IPresenceService>();
var router = provider.GetRequiredService<IMessageRouter>();
var blacklist = provider.GetRequiredService<IBlacklistService>();

async Task<SessionInfo> LogInAsync(string user, string password)
{
    Console.WriteLine($"login {user}: {await auth.LoginAsync(user, password, "in-process")}");
    var session = (await presence.LoginAsync(user, "in-process", peerPort: null)).Session;
    outbox.Name(session, user);
    await router.DeliverOfflineAsync(session);
    return session;
}

await LogInAsync("alice", "wonderland");
await LogInAsync("bob", "builder");
Console.WriteLine($"alice -> bob: {(await router.SendAsync("alice", "bob", "hello bob")).Outcome}");
Console.WriteLine($"alice -> carol (offline): {(await router.SendAsync("alice", "carol", "see you later")).Outcome}");
Console.WriteLine($"bob blocks alice: {await blacklist.BlockAsync("bob", "alice")}");
Console.WriteLine($"alice -> bob: {(await router.SendAsync("alice", "bob", "still there?")).Refusal}");
await LogInAsync("carol", "singer");

/// <summary>Delivers notices by printing them.</summary>
internal sealed class PrintingOutbox : ISessionOutbox
{
    private readonly Dictionary<SessionId, string> _names = [];

    public void Name(SessionInfo session, string user) => _names[session.Id] = user;

    public bool TryPost(SessionId session, SessionNotice notice)
    {
        var to = _names.GetValueOrDefault(session, "?");
        Console.WriteLine(notice is MessageNotice m
            ? $"  {to} receives from {m.Message.From}{(m.FromOfflineStore ? " (kept while offline)" : string.Empty)}: {m.Message.Text}"
            : $"  {to} receives {notice}");
        return true;
    }
}
