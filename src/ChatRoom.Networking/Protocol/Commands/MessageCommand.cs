using ChatRoom.Client;
using ChatRoom.Messaging;
using ChatRoom.Routing;

namespace ChatRoom.Protocol.Commands;

/// <summary><c>message &lt;user&gt; &lt;text&gt;</c>: answered <c>ok message delivered|queued|stored &lt;user&gt; &lt;id&gt;</c> once stored, or a refusal.</summary>
internal sealed class MessageCommand() : ChatCommand<SendReceipt>(new VerbSpec(
    "message", ["user"], [], TakesText: true, RequiresLogin: true, "send a message; kept for them if they are offline, refused if they blocked you"))
{
    /// <inheritdoc />
    public override string? Validate(IReadOnlyList<string> args) => MessageRefusals.CheckText(args[^1]);

    /// <inheritdoc />
    public override async ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        var sent = await request.Services.Router.SendAsync(request.Me.User, request.Arg(0), request.Arg(1), cancellationToken).ConfigureAwait(false);
        request.Services.Metrics.MessageReceived(MessageKind.Direct, sent.Message is not null);
        return Encode(request, new SendReceipt(sent.Outcome, sent.Message?.Id, sent.Refusal));
    }

    /// <inheritdoc />
    public override ReplyNotice Encode(CommandRequest request, SendReceipt result)
    {
        var to = request.Arg(0);
        return result.Outcome switch
        {
            SendOutcome.Delivered => ReplyNotice.Success(request.Tag, Name, "delivered", to, result.MessageId!.Value.ToString()),
            SendOutcome.StoredOffline => ReplyNotice.Success(request.Tag, Name, "stored", to, result.MessageId!.Value.ToString()),
            SendOutcome.Queued => ReplyNotice.Success(request.Tag, Name, "queued", to, result.MessageId!.Value.ToString()),
            _ => MessageRefusals.Encode(request, result.Refusal!.Value, to),
        };
    }

    /// <inheritdoc />
    public override SendReceipt Decode(ReplyNotice reply)
    {
        if (reply.Ok)
        {
            var outcome = reply.Fields[0] switch { "delivered" => SendOutcome.Delivered, "queued" => SendOutcome.Queued, _ => SendOutcome.StoredOffline };
            return new SendReceipt(outcome, ParseId(reply.Fields[2]));
        }

        return new SendReceipt(SendOutcome.Refused, null, MessageRefusals.Decode(reply) ?? throw Unexpected(reply));
    }
}
