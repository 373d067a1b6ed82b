// A bot on the ChatRoom SDK: it answers direct messages, agrees to private chats and answers private messages too.
using System.Net;
using ChatRoom;
using ChatRoom.Client;
using ChatRoom.Peer;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Polly.Registry;

var host = args.Length > 0 ? args[0] : "localhost";
var port = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5577;

await using var listener = new PeerListener(IPAddress.Any, 0, TimeProvider.System);
await using var services = new ServiceCollection()
    .AddChatRoomClient(o => o with { Host = host, Port = port, PeerPort = listener.Port })
    .AddChatRoomPrivateDelivery()
    .BuildServiceProvider();

await using var client = await ConnectAsync(services.GetRequiredService<IChatClientFactory>());
await client.LoginAsync("bot", "beep-boop");
var pipeline = services.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline<PrivateDelivery>(PrivateMessenger.PipelineKey);
var messenger = new PrivateMessenger(client, new TcpPeerTransport(), pipeline, listener, TimeProvider.System);
Console.WriteLine($"bot logged in to {host}:{port}; accepting private chats on port {listener.Port}");

// Private messages arrive on the listener; the bot answers them through the server (it has no route back).
_ = Task.Run(async () =>
{
    await foreach (var notice in listener.Messages)
    {
        await client.SendAsync(notice.Message.From, $"(private) {Answer(notice.Message.Text)}");
    }
});

await foreach (var notice in client.Notices)
{
    switch (notice)
    {
        case MessageNotice { Message: { Kind: ChatRoom.Messaging.MessageKind.Direct } m }:
            Console.WriteLine($"{m.From}: {m.Text}");
            await client.SendAsync(m.From, Answer(m.Text));
            break;
        case ConsentRequestNotice request:
            await client.AnswerConsentAsync(request.Requester, allow: true);
            break;
        case ConsentConfirmedNotice confirmed:
            messenger.Accept(confirmed.Grant);
            break;
        case DisconnectedNotice gone:
            Console.WriteLine($"disconnected: {gone.Reason}");
            return;
    }
}

static string Answer(string text) => text.Trim().Equals("time", StringComparison.OrdinalIgnoreCase)
    ? $"it is {TimeProvider.System.GetLocalNow():HH:mm:ss}"
    : $"echo: {text}";

// The server may still be starting: try for a few seconds before giving up.
static async Task<ChatClient> ConnectAsync(IChatClientFactory factory)
{
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            return await factory.ConnectAsync();
        }
        catch (ChatConnectionException) when (attempt < 50)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
