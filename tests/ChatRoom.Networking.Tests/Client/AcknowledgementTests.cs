using System.IO.Pipelines;
using ChatRoom.Client;
using ChatRoom.Messaging;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Client;

/// <summary>The client acknowledges a direct message only once the application has taken it, as the server's flow control needs.</summary>
public sealed class AcknowledgementTests
{
    [Fact]
    public async Task By_default_a_message_is_acknowledged_only_when_Notices_hands_it_to_the_application()
    {
        await using var server = await PipeServer.StartAsync();
        var one = server.Message("one");
        var two = server.Message("two");
        await server.SendAsync(one, two);

        // The heartbeat replies come after both messages, so both were received before the second heartbeat went out.
        Assert.Empty(await server.HeartbeatAsync());
        Assert.Empty(await server.HeartbeatAsync());

        await using var notices = server.Client.Notices.GetAsyncEnumerator();
        Assert.True(await notices.MoveNextAsync());
        Assert.Equal($"ack {one.Message.Id}", await server.ReadLineAsync());
        Assert.True(await notices.MoveNextAsync());
        Assert.Equal($"ack {two.Message.Id}", await server.ReadLineAsync());
    }

    [Fact]
    public async Task With_automatic_acknowledgement_off_nothing_is_acknowledged_until_the_application_says_so()
    {
        await using var server = await PipeServer.StartAsync(new ChatClientOptions { AutoAcknowledge = false });
        var one = server.Message("one");
        var two = server.Message("two");
        await server.SendAsync(one, two);
        await using var notices = server.Client.Notices.GetAsyncEnumerator();
        Assert.True(await notices.MoveNextAsync());
        Assert.True(await notices.MoveNextAsync());

        Assert.Empty(await server.HeartbeatAsync());

        server.Client.Acknowledge((MessageNotice)notices.Current);
        server.Client.Acknowledge(one.Message.Id);
        Assert.Equal([two.Message.Id.ToString(), one.Message.Id.ToString()], await ReadAcknowledgedAsync(server, 2));
    }

    [Fact]
    public async Task Acknowledging_a_broadcast_sends_nothing_since_the_server_keeps_no_broadcasts()
    {
        await using var server = await PipeServer.StartAsync(new ChatClientOptions { AutoAcknowledge = false });
        var broadcast = new MessageNotice(new ChatMessage(MessageId.New(TimeProvider.System), MessageKind.Broadcast, "seas", null, "all", DateTimeOffset.UnixEpoch), false);

        server.Client.Acknowledge(broadcast);

        Assert.Empty(await server.HeartbeatAsync());
    }

    [Fact]
    public async Task A_message_handed_over_again_is_shown_once_and_acknowledged_again_even_in_explicit_mode()
    {
        await using var server = await PipeServer.StartAsync(new ChatClientOptions { AutoAcknowledge = false });
        var once = server.Message("once");
        var next = server.Message("next");
        await server.SendAsync(once);
        await using var notices = server.Client.Notices.GetAsyncEnumerator();
        Assert.True(await notices.MoveNextAsync());

        await server.SendAsync(once with { FromOfflineStore = true }, next);

        Assert.True(await notices.MoveNextAsync());
        Assert.Equal("next", ((MessageNotice)notices.Current).Message.Text);
        Assert.Equal($"ack {once.Message.Id}", await server.ReadLineAsync());
        Assert.Equal(1, server.Client.DuplicatesSuppressed);
        Assert.Empty(await server.HeartbeatAsync());
    }

    [Fact]
    public async Task Many_acknowledgements_go_out_many_ids_to_a_line()
    {
        // The client's first flush waits until the test reads, so the rest of the acknowledgements queue up meanwhile.
        await using var server = await PipeServer.StartAsync(
            new ChatClientOptions { AutoAcknowledge = false },
            new PipeOptions(pauseWriterThreshold: 1, resumeWriterThreshold: 1));
        var ids = Enumerable.Range(0, 300).Select(_ => MessageId.New(TimeProvider.System)).ToList();

        foreach (var id in ids)
        {
            server.Client.Acknowledge(id);
        }

        var lines = new List<string>();
        var acknowledged = new List<string>();
        while (acknowledged.Count < ids.Count)
        {
            var line = await server.ReadLineAsync();
            lines.Add(line);
            acknowledged.AddRange(line.Split(' ').Skip(1));
        }

        Assert.Equal(ids.Select(id => id.ToString()), acknowledged);
        Assert.InRange(lines.Count, 3, 4);
        Assert.All(lines, l => Assert.InRange(l.Split(' ').Length - 1, 1, ChatClient.MaxIdsPerAck));
    }

    [Fact]
    public async Task When_the_application_does_not_read_the_client_stops_reading_from_the_server_until_it_does()
    {
        await using var server = await PipeServer.StartAsync(new ChatClientOptions { NoticeBufferCapacity = 4 });
        var messages = Enumerable.Range(0, 10).Select(i => server.Message($"m{i}")).ToList();
        var beat = server.Client.HeartbeatAsync();
        var tag = (await server.ReadLineAsync()).Split(' ')[0];

        await server.SendAsync(messages.ToArray());
        await server.SendAsync($"ok {tag} heartbeat");

        // Four notices fill the buffer; the reply behind the other six is not read while nobody takes them.
        await Assert.ThrowsAsync<TimeoutException>(() => beat.WaitAsync(TimeSpan.FromMilliseconds(200)));
        var texts = new List<string>();
        await foreach (var notice in server.Client.Notices)
        {
            texts.Add(((MessageNotice)notice).Message.Text);
            if (texts.Count == messages.Count)
            {
                break;
            }
        }

        await beat.WaitAsync(TestServer.Wait);
        Assert.Equal(messages.Select(m => m.Message.Text), texts);
    }

    [Fact]
    public async Task A_message_the_application_never_took_is_handed_over_again_at_the_next_login()
    {
        await using var server = await TestServer.StartAsync();
        var (seas, seasInbox) = await server.LoginAsync("seas");
        var columbia = await server.ConnectAsync();
        await columbia.LoginAsync("columbia", TestServer.Passwords["columbia"]);

        Assert.Equal(SendOutcome.Delivered, (await seas.SendAsync("columbia", "never taken")).Outcome);
        await columbia.HeartbeatAsync(); // its reply follows the message, so the message reached the client
        await columbia.DisposeAsync();
        await seasInbox.WaitForAsync<PresenceNotice>(p => p is { User: "columbia", Online: false });

        var (_, inbox) = await server.LoginAsync("columbia");
        var again = await inbox.WaitForAsync<MessageNotice>();
        Assert.Equal(("never taken", true), (again.Message.Text, again.FromOfflineStore));
    }

    [Fact]
    public async Task In_explicit_mode_a_message_taken_but_not_acknowledged_is_handed_over_again_at_the_next_login()
    {
        await using var server = await TestServer.StartAsync();
        var (seas, seasInbox) = await server.LoginAsync("seas");
        var (columbia, inbox) = await server.LoginAsync("columbia", server.ClientOptions with { AutoAcknowledge = false });
        await seas.SendAsync("columbia", "acknowledged");
        await seas.SendAsync("columbia", "taken, not acknowledged");
        columbia.Acknowledge(await inbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "acknowledged"));
        await inbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "taken, not acknowledged");
        await columbia.HeartbeatAsync(); // acknowledgements go out ahead of later commands, so the server has it now

        await columbia.DisposeAsync();
        await seasInbox.WaitForAsync<PresenceNotice>(p => p is { User: "columbia", Online: false });
        var (_, again) = await server.LoginAsync("columbia");

        var redelivered = await again.WaitForAsync<MessageNotice>();
        Assert.Equal(("taken, not acknowledged", true), (redelivered.Message.Text, redelivered.FromOfflineStore));
        await seas.SendAsync("columbia", "marker");
        await again.WaitForAsync<MessageNotice>(m => m.Message.Text == "marker");
        Assert.DoesNotContain(again.OfType<MessageNotice>(), m => m.Message.Text == "acknowledged");
    }

    private static async Task<List<string>> ReadAcknowledgedAsync(PipeServer server, int count)
    {
        var ids = new List<string>();
        while (ids.Count < count)
        {
            var line = await server.ReadLineAsync();
            Assert.StartsWith("ack ", line, StringComparison.Ordinal);
            ids.AddRange(line.Split(' ').Skip(1));
        }

        return ids;
    }
}
