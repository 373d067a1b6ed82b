using ChatRoom.Client;
using ChatRoom.Messaging;

namespace ChatRoom.Protocol.Commands;

/// <summary><c>broadcast &lt;text&gt;</c>: answered <c>ok broadcast &lt;id&gt; &lt;recipients&gt;</c>, or a refusal.</summary>
internal sealed class BroadcastCommand() : ChatCommand<BroadcastReceipt>(new VerbSpec(
    "broadcast", [], [], TakesText: true, RequiresLogin: true, "send a message to everyone online except you and those who blocked you"))
{
    /// <inheritdoc />
    public override string? Validate(IReadOnlyList<string> args) => MessageRefusals.CheckText(args[^1]);

    /// <inheritdoc />
    public override async ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        var sent = await request.Services.Router.BroadcastAsync(request.Me.User, request.Arg(0), cancellationToken).ConfigureAwait(false);
        request.Services.Metrics.MessageReceived(MessageKind.Broadcast, sent.Message is not null);
        return Encode(request, new BroadcastReceipt(sent.Message?.Id, sent.Recipients, sent.Refusal));
    }

    /// <inheritdoc />
    public override ReplyNotice Encode(CommandRequest request, BroadcastReceipt result) => result.MessageId is { } id
        ? new ReplyNotice(request.Tag, true, Name, [id.ToString(), Number(result.Recipients)],
            $"sent to {result.Recipients}")
        : MessageRefusals.Encode(request, result.Refusal!.Value, "everyone");

    /// <inheritdoc />
    public override BroadcastReceipt Decode(ReplyNotice reply) => reply.Ok
        ? new BroadcastReceipt(ParseId(reply.Fields[0]), ParseInt(reply.Fields[1]))
        : new BroadcastReceipt(null, 0, MessageRefusals.Decode(reply) ?? throw Unexpected(reply));
}
