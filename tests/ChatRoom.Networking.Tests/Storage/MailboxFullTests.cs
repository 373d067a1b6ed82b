using ChatRoom.Offline;
using ChatRoom.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Networking.Tests.Storage;

public sealed class MailboxFullTests
{
    [Fact]
    public async Task Ten_thousand_4_KB_messages_to_an_offline_user_stop_at_the_default_box_limit_and_the_sender_is_told_each_time()
    {
        await using var server = await TestServer.StartAsync();
        var (seas, _) = await server.LoginAsync("seas");
        var text = new string('x', new ChatRoomOptions().MaxMessageBytes);
        var limit = (int)(new ChatRoomOptions().MaxMailboxBytes / text.Length);

        var outcomes = new List<(SendOutcome, RefusalReason?)>(10_000);
        for (var i = 0; i < 10_000; i++)
        {
            var receipt = await seas.SendAsync("columbia", text);
            outcomes.Add((receipt.Outcome, receipt.Refusal));
        }

        Assert.All(outcomes.Take(limit), o => Assert.Equal((SendOutcome.StoredOffline, null), o));
        Assert.All(outcomes.Skip(limit), o => Assert.Equal((SendOutcome.Refused, RefusalReason.MailboxFull), o));
        Assert.Equal(limit, (await server.Services.GetRequiredService<IOfflineStore>().ReadAsync("columbia", 0, limit + 1)).Count);
    }

    [Fact]
    public async Task The_sender_to_a_full_box_gets_mailbox_full_naming_the_recipient_while_others_still_chat()
    {
        await using var server = await TestServer.StartAsync(core: o => o.MaxMailboxMessages = 2);
        var raw = await server.ConnectRawAsync();
        await raw.SendAsync("login seas summerisover\n");
        await raw.ExpectAsync("ok login");
        var (foobar, foobarInbox) = await server.LoginAsync("foobar");
        await raw.SendAsync("message columbia one\nmessage columbia two\n");
        await raw.ExpectAsync("ok message");
        await raw.ExpectAsync("ok message");

        await raw.SendAsync("message columbia three\n");

        Assert.StartsWith("error mailbox-full columbia :", await raw.ExpectAsync("error"), StringComparison.Ordinal);
        await raw.SendAsync("message foobar hello\n");
        await raw.ExpectAsync("ok message");
        await foobarInbox.WaitForAsync<Sessions.MessageNotice>(m => m.Message.Text == "hello");
        Assert.Equal(SendOutcome.Refused, (await foobar.SendAsync("columbia", "me too")).Outcome);
        Assert.NotEqual(SendOutcome.Refused, (await foobar.SendAsync("seas", "but not to you")).Outcome);
    }
}
