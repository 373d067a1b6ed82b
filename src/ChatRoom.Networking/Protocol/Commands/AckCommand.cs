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
        // The ids are read where they lie in the text: an ack line carries up to a hundred or so, and a string apiece would be garbage.
        var text = request.Arg(0).AsSpan();
        var ids = new List<MessageId>(text.Count(' ') + 1);
        foreach (var range in text.Split(' '))
        {
            var word = text[range];
            if (word.IsEmpty)
            {
                continue;
            }

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
