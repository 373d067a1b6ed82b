using ChatRoom.Events;
using ChatRoom.Offline;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Core.Tests.Routing;

/// <summary>A recipient's box of kept, unacknowledged messages has a limit, and a sender to a full box is told.</summary>
public sealed class MailboxLimitTests : IDisposable
{
    private readonly CoreHarness _core = CoreHarness.Create(o =>
    {
        o.MaxMailboxMessages = 3;
        o.MaxMailboxBytes = 4096;
    });

    private IMessageRouter Router => _core.Get<IMessageRouter>();

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task A_message_to_an_offline_user_whose_box_is_full_is_refused_as_mailbox_full_and_not_stored()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(SendOutcome.StoredOffline, (await Router.SendAsync("seas", "columbia", $"m{i}")).Outcome);
        }

        var refused = await Router.SendAsync("seas", "columbia", "one too many");

        Assert.Equal(new SendResult(SendOutcome.Refused, null, RefusalReason.MailboxFull), refused);
        Assert.Equal(["m0", "m1", "m2"], (await _core.Get<IOfflineStore>().MessagesAsync("columbia", 10)).Select(m => m.Text));
        Assert.Equal(new MessageRefused(CoreHarness.Start, "seas", "columbia", RefusalReason.MailboxFull), Assert.Single(_core.Events.OfType<MessageRefused>()));
    }

    [Fact]
    public async Task An_online_client_that_never_acknowledges_fills_its_box_and_acknowledging_makes_room()
    {
        var columbia = await _core.OnlineAsync("columbia");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(SendOutcome.Delivered, (await Router.SendAsync("seas", "columbia", $"m{i}")).Outcome);
        }

        Assert.Equal(RefusalReason.MailboxFull, (await Router.SendAsync("seas", "columbia", "no room")).Refusal);

        await _core.Sessions.AcknowledgeAsync(_core.Session(columbia), [_core.MessagesFor(columbia)[0].Message.Id]);
        Assert.Equal(SendOutcome.Delivered, (await Router.SendAsync("seas", "columbia", "room again")).Outcome);
    }

    [Fact]
    public async Task A_full_box_is_full_by_bytes_too()
    {
        var text = new string('x', 4000);
        Assert.Equal(SendOutcome.StoredOffline, (await Router.SendAsync("seas", "columbia", text)).Outcome);

        Assert.Equal(RefusalReason.MailboxFull, (await Router.SendAsync("seas", "columbia", new string('y', 97))).Refusal);
        Assert.Equal(SendOutcome.StoredOffline, (await Router.SendAsync("seas", "columbia", new string('y', 96))).Outcome);
    }

    [Fact]
    public async Task A_full_box_stops_neither_broadcasts_to_its_owner_nor_messages_to_anyone_else()
    {
        var columbia = await _core.OnlineAsync("columbia");
        for (var i = 0; i < 3; i++)
        {
            await Router.SendAsync("seas", "columbia", $"m{i}");
        }

        var broadcast = await Router.BroadcastAsync("seas", "to all");
        var other = await Router.SendAsync("seas", "foobar", "hello");

        Assert.Null(broadcast.Refusal);
        Assert.Equal(1, broadcast.Recipients);
        Assert.Contains(_core.MessagesFor(columbia), n => n.Message.Text == "to all");
        Assert.Equal(SendOutcome.StoredOffline, other.Outcome);
    }
}
