using ChatRoom.Blocking;
using ChatRoom.Events;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Core.Tests.Routing;

public sealed class MessageRouterTests : IDisposable
{
    private readonly CoreHarness _core = CoreHarness.Create(o => o.MaxMessageBytes = 10);

    private IMessageRouter Router => _core.Get<IMessageRouter>();

    private IBlacklistService Blacklist => _core.Get<IBlacklistService>();

    private IOfflineStore Offline => _core.Get<IOfflineStore>();

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task A_message_to_an_online_user_is_delivered_now()
    {
        var columbia = await _core.OnlineAsync("columbia");

        var result = await Router.SendAsync("seas", "columbia", "123");

        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        var notice = Assert.IsType<MessageNotice>(Assert.Single(_core.NoticesFor(columbia)));
        Assert.Equal(new ChatMessage(result.Message!.Id, MessageKind.Direct, "seas", "columbia", "123", CoreHarness.Start), notice.Message);
        Assert.False(notice.FromOfflineStore);
        Assert.Single(_core.Events.OfType<MessageDelivered>());
    }

    [Fact]
    public async Task A_message_to_an_offline_user_is_stored()
    {
        var result = await Router.SendAsync("seas", "columbia", "123");

        Assert.Equal(SendOutcome.StoredOffline, result.Outcome);
        Assert.Equal([result.Message!], await Offline.MessagesAsync("columbia", 10));
        Assert.Single(_core.Events.OfType<MessageStoredOffline>());
    }

    [Fact]
    public async Task A_recipient_whose_connection_cannot_take_it_gets_it_stored_instead()
    {
        var columbia = await _core.OnlineAsync("columbia");
        _core.ConnectionOf(columbia).Outcome = _ => PostOutcome.Full;

        var result = await Router.SendAsync("seas", "columbia", "123");

        Assert.NotEqual(SendOutcome.Delivered, result.Outcome);
        Assert.Empty(_core.MessagesFor(columbia));
        Assert.Single(await Offline.MessagesAsync("columbia", 10));
    }

    [Theory]
    [InlineData("", RefusalReason.Empty)]
    [InlineData("   ", RefusalReason.Empty)]
    [InlineData("01234567890", RefusalReason.TooLong)]
    public async Task Bad_text_is_refused(string text, RefusalReason reason)
    {
        var columbia = await _core.OnlineAsync("columbia");

        var result = await Router.SendAsync("seas", "columbia", text);

        Assert.Equal(new SendResult(SendOutcome.Refused, null, reason), result);
        Assert.Empty(_core.MessagesFor(columbia));
        Assert.Equal(reason, Assert.Single(_core.Events.OfType<MessageRefused>()).Reason);
    }

    [Fact]
    public async Task The_limit_counts_UTF8_bytes_not_characters()
    {
        Assert.Equal(RefusalReason.TooLong, (await Router.SendAsync("seas", "columbia", "éééééé")).Refusal);
    }

    [Fact]
    public async Task Text_exactly_at_the_limit_is_accepted()
    {
        Assert.Equal(SendOutcome.StoredOffline, (await Router.SendAsync("seas", "columbia", "0123456789")).Outcome);
    }

    [Fact]
    public async Task A_message_to_an_unknown_user_is_refused()
    {
        Assert.Equal(RefusalReason.UnknownUser, (await Router.SendAsync("seas", "nobody", "hi")).Refusal);
        Assert.Empty(await Offline.MessagesAsync("nobody", 10));
    }

    [Fact]
    public async Task A_message_to_someone_who_blocked_the_sender_is_refused_and_neither_delivered_nor_stored()
    {
        var columbia = await _core.OnlineAsync("columbia");
        await Blacklist.BlockAsync("columbia", "seas");

        var result = await Router.SendAsync("seas", "columbia", "hi");

        Assert.Equal(RefusalReason.Blocked, result.Refusal);
        Assert.Empty(_core.NoticesFor(columbia));
        Assert.Empty(await Offline.MessagesAsync("columbia", 10));
    }

    [Fact]
    public async Task The_blocker_can_still_message_the_blocked_user()
    {
        await Blacklist.BlockAsync("columbia", "seas");

        Assert.NotEqual(SendOutcome.Refused, (await Router.SendAsync("columbia", "seas", "hi")).Outcome);
    }

    [Fact]
    public async Task A_broadcast_reaches_everyone_online_but_the_sender_and_those_who_blocked_the_sender()
    {
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        var foobar = await _core.OnlineAsync("foobar");
        await Blacklist.BlockAsync("foobar", "seas");

        var result = await Router.BroadcastAsync("seas", "321");

        Assert.Equal(1, result.Recipients);
        Assert.Equal(MessageKind.Broadcast, Assert.IsType<MessageNotice>(Assert.Single(_core.NoticesFor(columbia))).Message.Kind);
        Assert.Empty(_core.NoticesFor(seas));
        Assert.Empty(_core.NoticesFor(foobar));
        Assert.Equal(1, Assert.Single(_core.Events.OfType<BroadcastSent>()).Skipped);
    }

    [Fact]
    public async Task A_broadcast_when_everyone_blocked_the_sender_reaches_nobody_and_says_so()
    {
        await _core.OnlineAsync("seas");
        await _core.OnlineAsync("columbia");
        await _core.OnlineAsync("foobar");
        await Blacklist.BlockAsync("columbia", "seas");
        await Blacklist.BlockAsync("foobar", "seas");

        var result = await Router.BroadcastAsync("seas", "anyone?");

        Assert.Equal(0, result.Recipients);
        Assert.NotNull(result.Message);
    }

    [Fact]
    public async Task An_empty_broadcast_is_refused()
    {
        var columbia = await _core.OnlineAsync("columbia");

        var result = await Router.BroadcastAsync("seas", " ");

        Assert.Equal(RefusalReason.Empty, result.Refusal);
        Assert.Empty(_core.MessagesFor(columbia));
    }

    [Fact]
    public async Task Bad_text_is_refused_before_the_recipient_is_looked_up()
    {
        Assert.Equal(RefusalReason.Empty, (await Router.SendAsync("seas", "nobody", " ")).Refusal);
        Assert.Equal(RefusalReason.TooLong, (await Router.SendAsync("seas", "nobody", "01234567890")).Refusal);
    }

    [Fact]
    public async Task A_refused_broadcast_is_recorded_as_addressed_to_everyone()
    {
        await Router.BroadcastAsync("seas", " ");

        Assert.Equal(new MessageRefused(CoreHarness.Start, "seas", "*", RefusalReason.Empty), Assert.Single(_core.Events.OfType<MessageRefused>()));
    }

    [Fact]
    public async Task A_broadcast_arrives_as_live_not_as_kept()
    {
        var columbia = await _core.OnlineAsync("columbia");

        await Router.BroadcastAsync("seas", "hi all");

        Assert.False(Assert.Single(_core.MessagesFor(columbia)).FromOfflineStore);
    }
}
