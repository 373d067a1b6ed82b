using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Client;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Protocol;
using ChatRoom.Protocol.Commands;
using ChatRoom.Routing;
using Microsoft.Extensions.Options;
using NSubstitute;

namespace ChatRoom.Networking.Tests.Protocol.Commands;

/// <summary>Each command's reply, as the server writes it and as the SDK reads it back: the same result both ways.</summary>
public sealed class ReplyShapeTests
{
    private static readonly MessageId Id = MessageId.TryParse("01a2134ac5b97edb81ca077d200d092b", out var id) ? id : default;

    [Theory]
    [InlineData(SendOutcome.Delivered, "ok #7 message delivered columbia 01a2134ac5b97edb81ca077d200d092b")]
    [InlineData(SendOutcome.Queued, "ok #7 message queued columbia 01a2134ac5b97edb81ca077d200d092b")]
    [InlineData(SendOutcome.StoredOffline, "ok #7 message stored columbia 01a2134ac5b97edb81ca077d200d092b")]
    public void A_sent_message_reads_back_as_its_outcome_and_id(SendOutcome outcome, string line)
        => AssertRoundTrip(CommandTable.Message, "#7 message columbia hi", new SendReceipt(outcome, Id), line);

    [Theory]
    [InlineData(RefusalReason.Blocked, "error #7 blocked :columbia has blocked you; your message was not sent")]
    [InlineData(RefusalReason.UnknownUser, "error #7 unknown-user :there is no user named columbia")]
    [InlineData(RefusalReason.Empty, "error #7 empty-message :the message is empty")]
    [InlineData(RefusalReason.TooLong, "error #7 message-too-long :the message is longer than 4096 bytes")]
    public void A_refused_message_reads_back_as_its_reason(RefusalReason reason, string line)
        => AssertRoundTrip(CommandTable.Message, "#7 message columbia hi", new SendReceipt(SendOutcome.Refused, null, reason), line);

    [Fact]
    public void A_broadcast_reads_back_with_its_counts_or_its_refusal()
    {
        AssertRoundTrip(CommandTable.Broadcast, "broadcast hi", new BroadcastReceipt(Id, 3), $"ok broadcast {Id} 3 :sent to 3");
        AssertRoundTrip(CommandTable.Broadcast, "broadcast hi", new BroadcastReceipt(null, 0, RefusalReason.Empty), "error empty-message :the message is empty");
    }

    [Fact]
    public void A_login_reads_back_as_success_wrong_credentials_or_lockout()
    {
        AssertRoundTrip<LoginResult>(CommandTable.Login, "#1 login seas pw", new LoginSuccess("seas"), "ok #1 login seas");
        AssertRoundTrip<LoginResult>(CommandTable.Login, "login seas pw", new LoginInvalid(1), "error wrong-credentials 1 :wrong user name or password; 1 attempt left");
        AssertRoundTrip<LoginResult>(CommandTable.Login, "login seas pw", new LoginLocked(TimeSpan.FromSeconds(30)), "error locked 30 :too many failed logins; seas is locked for 30 s");
    }

    [Fact]
    public void A_login_reads_back_as_a_slowdown_an_address_lock_or_a_refusal_the_server_could_not_count()
    {
        AssertRoundTrip<LoginResult>(CommandTable.Login, "login seas pw", new LoginRetryLater(TimeSpan.FromSeconds(3)),
            "error try-again 3 :too many failed logins for seas from several addresses; try again in 3 s");
        AssertRoundTrip<LoginResult>(CommandTable.Login, "login seas pw", new LoginAddressLocked(TimeSpan.FromMinutes(15)),
            "error address-locked 900 :too many failed logins from your address; try again in 900 s");
        AssertRoundTrip<LoginResult>(CommandTable.Login, "login seas pw", new LoginUnavailable(),
            "error server-error :login refused: the server cannot record login attempts now; try again later");
    }

    [Fact]
    public void A_lockout_is_written_in_whole_seconds_rounded_up()
        => Assert.Equal(
            "error locked 2 :too many failed logins; seas is locked for 2 s",
            WireFormat.Format(CommandTable.Login.Encode(Request("login seas pw"), new LoginLocked(TimeSpan.FromSeconds(1.2)))));

    [Theory]
    [InlineData(BlockResult.Blocked, "ok block columbia")]
    [InlineData(BlockResult.AlreadyBlocked, "ok block columbia already")]
    [InlineData(BlockResult.CannotBlockSelf, "error cannot-block-self :you cannot block yourself")]
    [InlineData(BlockResult.UnknownUser, "error unknown-user :there is no user named columbia")]
    public void Block_reads_back_as_its_result(BlockResult result, string line) => AssertRoundTrip(CommandTable.Block, "block columbia", result, line);

    [Theory]
    [InlineData(UnblockResult.Unblocked, "ok unblock columbia")]
    [InlineData(UnblockResult.NotBlocked, "error not-blocked :columbia is not in your block list")]
    public void Unblock_reads_back_as_its_result(UnblockResult result, string line) => AssertRoundTrip(CommandTable.Unblock, "unblock columbia", result, line);

    [Theory]
    [InlineData(ConsentAnswerResult.Applied, "ok consent seas yes")]
    [InlineData(ConsentAnswerResult.NoSuchRequest, "error no-such-request :seas has no open question for you")]
    public void A_consent_answer_reads_back_as_its_result(ConsentAnswerResult result, string line)
        => AssertRoundTrip(CommandTable.Consent, "consent seas y", result, line);

    [Fact]
    public void Getaddress_reads_back_as_asked_or_its_refusal_and_words_the_refusal_for_a_person()
    {
        AssertRoundTrip(CommandTable.GetAddress, "getaddress columbia", new ConsentRequestResult(true), "ok getaddress columbia asked");
        AssertRoundTrip(CommandTable.GetAddress, "getaddress columbia", new ConsentRequestResult(false, ConsentRefusal.AlreadyPending), "error refused already-pending :getaddress columbia refused: already-pending");
    }

    [Fact]
    public void Online_reads_back_as_the_names()
        => Assert.Equal(["columbia", "seas"], RoundTrip<IReadOnlyList<string>>(CommandTable.Online, "online", ["columbia", "seas"], "ok online columbia seas"));

    [Fact]
    public void A_plain_command_reads_ok_as_done_and_an_error_as_an_exception_with_its_code()
    {
        AssertRoundTrip(CommandTable.Heartbeat, "heartbeat", default, "ok heartbeat");
        var error = ReplyNotice.Failure(null, ErrorCodes.NotLoggedIn, "your session has ended; log in again");

        Assert.Equal(ErrorCodes.NotLoggedIn, Assert.Throws<ChatProtocolException>(() => CommandTable.Heartbeat.Decode(error)).Code);
    }

    [Fact]
    public void An_error_a_command_has_no_result_for_is_an_exception()
    {
        var error = ReplyNotice.Failure("3", ErrorCodes.NotLoggedIn, "log in first");

        Assert.Equal(ErrorCodes.NotLoggedIn, Assert.Throws<ChatProtocolException>(() => CommandTable.Message.Decode(error)).Code);
        Assert.Equal(ErrorCodes.NotLoggedIn, Assert.Throws<ChatProtocolException>(() => CommandTable.Block.Decode(error)).Code);
    }

    private static void AssertRoundTrip<T>(ChatCommand<T> command, string request, T result, string line)
        => Assert.Equal(result, RoundTrip(command, request, result, line));

    private static T RoundTrip<T>(ChatCommand<T> command, string request, T result, string line)
    {
        Assert.Equal(line, WireFormat.Format(command.Encode(Request(request), result)));
        return command.Decode(Assert.IsType<ReplyNotice>(WireFormat.Parse(line, "seas")));
    }

    private static CommandRequest Request(string line)
    {
        Assert.True(CommandParser.TryParse(line, out var command, out _));
        var options = Substitute.For<IOptionsMonitor<ChatRoomOptions>>();
        options.CurrentValue.Returns(new ChatRoomOptions());
        return new CommandRequest(command, null, null!, new CommandServices(null!, null!, null!, null!, options, new ChatRoom.Server.Diagnostics.ChatServerMetrics(null)));
    }
}
