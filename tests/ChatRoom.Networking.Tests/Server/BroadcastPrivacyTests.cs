using System.Text.RegularExpressions;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Server;

public sealed partial class BroadcastPrivacyTests
{
    [Fact]
    public async Task The_broadcast_reply_is_the_same_whether_a_user_who_blocked_the_sender_is_online_or_not()
    {
        await using var server = await TestServer.StartAsync();
        var (_, columbiaInbox) = await server.LoginAsync("columbia");
        var (foobar, _) = await server.LoginAsync("foobar");
        await foobar.BlockAsync("seas");
        var seas = await server.ConnectRawAsync();
        await seas.ExpectAsync("hello");
        await seas.SendAsync("#1 login seas summerisover\n");
        await seas.ExpectAsync("ok #1 login");

        await seas.SendAsync("#2 broadcast while the blocker is online\n");
        var blockerOnline = await seas.ExpectAsync("ok #2 ");
        await foobar.LogoutAsync();
        await columbiaInbox.WaitForAsync<PresenceNotice>(p => p is { User: "foobar", Online: false });
        await seas.SendAsync("#2 broadcast while the blocker is offline\n");
        var blockerOffline = await seas.ExpectAsync("ok #2 ");

        Assert.Equal(WithoutId(blockerOnline), WithoutId(blockerOffline));
        Assert.Equal("ok #2 broadcast <id> 1 :sent to 1", WithoutId(blockerOffline));
    }

    private static string WithoutId(string line) => MessageIdPattern().Replace(line, "<id>");

    [GeneratedRegex("[0-9a-f]{32}")]
    private static partial Regex MessageIdPattern();
}
