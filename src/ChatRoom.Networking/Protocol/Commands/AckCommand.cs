using ChatRoom.Messaging;

namespace ChatRoom.Protocol.Commands;

/// <summary>
/// <c>ack &lt;id&gt;...</c>: the application has taken these direct messages. The one command without a reply (a malformed
/// id excepted), so a client can send many without waiting; the SDK batches them.
/// </summary>
internal sealed class AckCommand() : ChatCommand(new VerbSpec(
    "ack", [], [], TakesText: true, RequiresLogin: true, "your application has taken these direct messages (by id); the one command with no reply", "id..."))
{
    /// <inheritdoc />
    public override async ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        var ids = new List<MessageId>();
        foreach (var word in request.Arg(0).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!MessageId.TryParse(word, out var id))
            {
                return ReplyNotice.Failure(request.Tag, ErrorCodes.BadArgument, $"'{word}' is not a message id");
            }

            ids.Add(id);
        }

        request.Services.Metrics.Acknowledged(ids.Count);
        await request.Services.Sessions.AcknowledgeAsync(request.Me, ids, cancellationToken).ConfigureAwait(false);
        return CommandOutcome.None;
    }
}
