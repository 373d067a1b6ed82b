using ChatRoom.Client;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Peer;
using ChatRoom.Protocol;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace ChatRoom.ClientApp.Tests;

public sealed class ChatShellTests
{
    private readonly IChatClient _client = Substitute.For<IChatClient>();
    private readonly List<string> _output = [];
    private readonly ChatShell _shell;

    public ChatShellTests() => _shell = new ChatShell(_client, _output.Add);

    [Fact]
    public async Task A_delivered_message_is_confirmed()
    {
        _client.SendAsync("columbia", "hello there", Arg.Any<CancellationToken>()).Returns(new SendReceipt(SendOutcome.Delivered, MessageId.New(TimeProvider.System)));

        Assert.True(await _shell.ExecuteAsync("message columbia hello there"));

        Assert.Equal(["message to columbia delivered"], _output);
    }

    [Fact]
    public async Task A_message_for_someone_offline_says_it_is_kept()
    {
        _client.SendAsync("columbia", "hi", Arg.Any<CancellationToken>()).Returns(new SendReceipt(SendOutcome.StoredOffline, MessageId.New(TimeProvider.System)));

        await _shell.ExecuteAsync("message columbia hi");

        Assert.StartsWith("columbia is offline", Assert.Single(_output), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_the_server_never_acknowledged_is_not_shown_as_sent()
    {
        _client.SendAsync("columbia", "hi", Arg.Any<CancellationToken>()).Returns(Task.FromException<SendReceipt>(new ChatConnectionException("no answer to message within 30 s")));

        Assert.True(await _shell.ExecuteAsync("message columbia hi"));

        var line = Assert.Single(_output);
        Assert.StartsWith("not confirmed: the server did not acknowledge your message to columbia", line, StringComparison.Ordinal);
        Assert.DoesNotContain("delivered", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_message_says_why()
    {
        _client.SendAsync("columbia", "hi", Arg.Any<CancellationToken>()).Returns(new SendReceipt(SendOutcome.Refused, null, RefusalReason.Blocked));

        await _shell.ExecuteAsync("message columbia hi");

        Assert.Equal(["not sent: columbia has blocked you"], _output);
    }

    [Fact]
    public async Task An_unknown_command_gets_a_hint_and_the_command_list_never_silence()
    {
        await _shell.ExecuteAsync("mesage columbia hi");

        var line = Assert.Single(_output);
        Assert.StartsWith("unknown command 'mesage'", line, StringComparison.Ordinal);
        Assert.Contains("getaddress <user>", line, StringComparison.Ordinal);
        Assert.Empty(_client.ReceivedCalls());
    }

    [Theory]
    [InlineData("message columbia", "usage: message <user> <text>")]
    [InlineData("block", "usage: block <user>")]
    [InlineData("online now", "usage: online")]
    public async Task Missing_or_extra_arguments_show_the_usage_and_send_nothing(string line, string usage)
    {
        await _shell.ExecuteAsync(line);

        Assert.Equal([usage], _output);
        Assert.Empty(_client.ReceivedCalls());
    }

    [Theory]
    [InlineData("message")]
    [InlineData("broadcast")]
    [InlineData("online")]
    [InlineData("block")]
    [InlineData("unblock")]
    [InlineData("getaddress")]
    [InlineData("logout")]
    public async Task Help_words_the_server_commands_as_the_command_table_does(string name)
    {
        var command = CommandHelp.Get(name);

        await _shell.ExecuteAsync("help");

        Assert.Contains($"  {command.Usage,-24} {command.Summary}", Assert.Single(_output), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_keeps_the_app_commands_that_are_not_sent_to_the_server()
    {
        await _shell.ExecuteAsync("help");

        var help = Assert.Single(_output);
        Assert.Contains("private <user> <text>", help, StringComparison.Ordinal);
        Assert.Contains("y / n", help, StringComparison.Ordinal);
        Assert.DoesNotContain("heartbeat", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Yes_answers_the_oldest_open_question()
    {
        _shell.Observe(new ConsentRequestNotice("seas"));
        _shell.Observe(new ConsentRequestNotice("foobar"));
        _client.AnswerConsentAsync("seas", true, Arg.Any<CancellationToken>()).Returns(ConsentAnswerResult.Applied);

        await _shell.ExecuteAsync("y");

        await _client.Received(1).AnswerConsentAsync("seas", true, Arg.Any<CancellationToken>());
        Assert.Equal(["you allowed seas to chat with you privately"], _output);
    }

    [Fact]
    public async Task No_with_nobody_waiting_says_so()
    {
        await _shell.ExecuteAsync("no");

        Assert.Equal(["nobody is waiting for an answer"], _output);
    }

    [Fact]
    public async Task Logout_ends_the_shell()
    {
        Assert.False(await _shell.ExecuteAsync("logout"));
        await _client.Received(1).LogoutAsync(Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Private_without_a_peer_channel_asks_for_getaddress_first()
    {
        await _shell.ExecuteAsync("private columbia hi");

        Assert.Equal(["run getaddress columbia first"], _output);
    }

    [Fact]
    public void Each_message_shows_its_sender_and_how_it_came()
    {
        var at = DateTimeOffset.UnixEpoch;
        var id = MessageId.New(TimeProvider.System);

        Assert.Equal("seas: 123", ChatShell.Describe(new MessageNotice(new ChatMessage(id, MessageKind.Direct, "seas", "me", "123", at), false)));
        Assert.Equal("seas (broadcast): 321", ChatShell.Describe(new MessageNotice(new ChatMessage(id, MessageKind.Broadcast, "seas", null, "321", at), false)));
        Assert.Equal("seas (private): psst", ChatShell.Describe(new MessageNotice(new ChatMessage(id, MessageKind.Private, "seas", "me", "psst", at), false)));
        Assert.Contains("while you were offline): old", ChatShell.Describe(new MessageNotice(new ChatMessage(id, MessageKind.Direct, "seas", "me", "old", at), true)), StringComparison.Ordinal);
    }

    [Fact]
    public void Control_characters_from_others_never_reach_the_terminal()
    {
        var notice = new MessageNotice(new ChatMessage(MessageId.New(TimeProvider.System), MessageKind.Direct, "seas", "me", "a\u001b[2Jb", DateTimeOffset.UnixEpoch), false);

        Assert.Equal("seas: a?[2Jb", ChatShell.Describe(notice));
    }

    [Theory]
    [InlineData("logout", 0)]
    [InlineData("displaced", 4)]
    [InlineData("shutdown", 5)]
    [InlineData("connection-lost", 5)]
    [InlineData("login-refused", 5)]
    public void Exit_codes_follow_how_the_session_ended(string reason, int code)
    {
        Assert.Equal(code, ChatShell.ExitCodeFor(new DisconnectedNotice(reason)));
    }

    [Fact]
    public void A_refused_getaddress_reads_as_a_sentence()
    {
        Assert.Equal("* columbia is offline; use message to leave one", ChatShell.Describe(new ConsentRefusedNotice("columbia", ConsentRefusal.Offline)));
    }

    [Fact]
    public async Task A_getaddress_refused_at_once_says_why()
    {
        _client.RequestAddressAsync("columbia", Arg.Any<CancellationToken>()).Returns(new ConsentRequestResult(Asked: false, ConsentRefusal.NoPeerPort));

        await _shell.ExecuteAsync("getaddress columbia");

        Assert.Equal(["columbia's client does not accept private chats"], _output);
    }

    [Fact]
    public async Task A_private_message_the_peer_took_says_it_went_privately()
    {
        var channel = Substitute.For<IPrivateChannel>();
        channel.SendAsync("columbia", "psst", Arg.Any<CancellationToken>()).Returns(new PrivateDelivery(PrivateRoute.Peer, Id));

        await new ChatShell(_client, _output.Add, channel).ExecuteAsync("private columbia psst");

        Assert.Equal(["delivered privately to columbia"], _output);
    }

    [Fact]
    public async Task A_private_message_with_no_grant_asks_for_getaddress_first()
    {
        var channel = Substitute.For<IPrivateChannel>();
        channel.SendAsync("columbia", "psst", Arg.Any<CancellationToken>()).Returns((PrivateDelivery?)null);

        await new ChatShell(_client, _output.Add, channel).ExecuteAsync("private columbia psst");

        Assert.Equal(["run getaddress columbia first"], _output);
    }

    [Fact]
    public async Task A_private_message_neither_the_peer_nor_the_server_took_is_reported_as_not_delivered()
    {
        var channel = Substitute.For<IPrivateChannel>();
        channel.SendAsync("columbia", "psst", Arg.Any<CancellationToken>()).ThrowsAsync(new ChatConnectionException("the connection is closed"));

        await new ChatShell(_client, _output.Add, channel).ExecuteAsync("private columbia psst");

        Assert.StartsWith("not delivered: columbia's client and the server are both unreachable", Assert.Single(_output), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SendOutcome.Delivered, null, "columbia's client is unreachable - sent through the server (delivered)")]
    [InlineData(SendOutcome.StoredOffline, null, "columbia's client is unreachable - sent through the server (columbia is offline; kept for their next login)")]
    [InlineData(SendOutcome.Refused, RefusalReason.Blocked, "columbia's client is unreachable and the server refused the message: columbia has blocked you")]
    public void A_private_message_that_fell_back_to_the_server_says_what_the_server_did(SendOutcome outcome, RefusalReason? refusal, string line)
    {
        var delivery = new PrivateDelivery(PrivateRoute.Server, Id, new SendReceipt(outcome, outcome == SendOutcome.Refused ? null : Id, refusal));

        Assert.Equal(line, ChatShell.Describe(delivery, "columbia"));
    }

    private static MessageId Id { get; } = MessageId.New(TimeProvider.System);
}
