using ChatRoom.Client;
using ChatRoom.Offline;
using ChatRoom.Protocol;
using ChatRoom.Storage;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Storage;

public sealed class AcknowledgedDeliveryTests
{
    [Fact]
    public async Task A_message_handed_to_a_connection_that_died_before_acknowledging_comes_again_at_the_next_login()
    {
        await using var server = await TestServer.StartAsync();
        var (seas, _) = await server.LoginAsync("seas");
        var raw = await server.ConnectRawAsync();
        await raw.SendAsync("login columbia 116bway\n");
        await raw.ExpectAsync("ok login");

        Assert.Equal(SendOutcome.Delivered, (await seas.SendAsync("columbia", "did you get this?")).Outcome);
        await raw.ExpectAsync("message seas");
        await raw.DisposeAsync(); // read, never acknowledged, gone

        var (_, inbox) = await server.LoginAsync("columbia");
        var again = await inbox.WaitForAsync<MessageNotice>();
        Assert.Equal(("did you get this?", true), (again.Message.Text, again.FromOfflineStore));
    }

    [Fact]
    public async Task An_acknowledged_message_is_not_handed_over_again()
    {
        await using var server = await TestServer.StartAsync();
        var (seas, _) = await server.LoginAsync("seas");
        var (columbia, inbox) = await server.LoginAsync("columbia");
        await seas.SendAsync("columbia", "once");
        await inbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "once");

        await server.Logs.WaitForAsync("Acknowledged: columbia took 1 messages");
        await columbia.LogoutAsync();
        var (_, again) = await server.LoginAsync("columbia");
        await seas.SendAsync("columbia", "marker");
        await again.WaitForAsync<MessageNotice>(m => m.Message.Text == "marker");

        Assert.DoesNotContain(again.OfType<MessageNotice>(), m => m.Message.Text == "once");
    }

    [Fact]
    public async Task A_client_sharing_its_seen_ids_across_reconnects_shows_a_handed_over_again_message_once()
    {
        await using var server = await TestServer.StartAsync();
        var seen = new SeenMessageIds();
        var (seas, _) = await server.LoginAsync("seas");
        var raw = await server.ConnectRawAsync();
        await raw.SendAsync("login columbia 116bway\n");
        await raw.ExpectAsync("ok login");
        var receipt = await seas.SendAsync("columbia", "already shown");
        await raw.ExpectAsync("message seas");
        seen.TryAdd(receipt.MessageId!.Value); // the person saw it before the connection died
        await raw.DisposeAsync();

        var (columbia, inbox) = await server.LoginAsync("columbia", server.ClientOptions with { SeenMessages = seen });
        await seas.SendAsync("columbia", "marker");
        await inbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "marker");

        Assert.DoesNotContain(inbox.OfType<MessageNotice>(), m => m.Message.Text == "already shown");
        Assert.Equal(1, columbia.DuplicatesSuppressed);
    }

    [Fact]
    public async Task A_malformed_acknowledgement_is_an_error_and_the_connection_stays_usable()
    {
        await using var server = await TestServer.StartAsync();
        var raw = await server.ConnectRawAsync();
        await raw.SendAsync("login columbia 116bway\nack nonsense\n#1 online\n");

        Assert.StartsWith("error bad-argument", await raw.ExpectAsync("error"), StringComparison.Ordinal);
        Assert.StartsWith("ok #1 online", await raw.ExpectAsync("ok #1"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_the_store_could_not_keep_is_never_acknowledged_nor_delivered_and_the_sender_is_told()
    {
        var store = Substitute.For<IOfflineStore>();
        store.TryAppendAsync(default!, default!, default, default).ReturnsForAnyArgs(_ => ValueTask.FromException<long?>(new ChatStoreException("chatroom.db", "could not store: disk full")));
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton(store));
        var (seas, _) = await server.LoginAsync("seas");
        var (columbia, inbox) = await server.LoginAsync("columbia");

        var ex = await Assert.ThrowsAsync<ChatProtocolException>(() => seas.SendAsync("columbia", "lost?"));

        Assert.Equal(ErrorCodes.ServerError, ex.Code);
        await columbia.HeartbeatAsync();
        Assert.Empty(inbox.OfType<MessageNotice>());
        Assert.Contains(server.Logs.Lines, l => l.Contains("Command message", StringComparison.Ordinal) && l.Contains("failed", StringComparison.Ordinal));
        Assert.Equal(["columbia", "seas"], await seas.GetOnlineUsersAsync());
    }
}
