using ChatRoom.Consent;

namespace ChatRoom.Protocol.Commands;

/// <summary><c>getaddress &lt;user&gt;</c>: answered <c>ok getaddress &lt;user&gt; asked</c> (the answer comes later), or <c>refused &lt;reason&gt;</c>.</summary>
internal sealed class GetAddressCommand() : ChatCommand<ConsentRequestResult>(new VerbSpec(
    "getaddress", ["user"], [], TakesText: false, RequiresLogin: true, "ask a user's consent to chat privately, peer to peer; the answer arrives later"))
{
    /// <inheritdoc />
    public override async ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
        => Encode(request, await request.Services.Consent.RequestAsync(request.Me.Info, request.Arg(0), cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public override ReplyNotice Encode(CommandRequest request, ConsentRequestResult result)
    {
        if (result.Asked)
        {
            return ReplyNotice.Success(request.Tag, Name, request.Arg(0), "asked");
        }

        // For a person speaking the raw protocol; clients word their own sentence from the reason.
        var reason = WireFormat.Kebab(result.Refusal!.Value);
        return ReplyNotice.Failure(request.Tag, ErrorCodes.Refused, [reason], $"getaddress {request.Arg(0)} refused: {reason}");
    }

    /// <inheritdoc />
    public override ConsentRequestResult Decode(ReplyNotice reply)
    {
        if (reply.Ok)
        {
            return new ConsentRequestResult(Asked: true);
        }

        return reply.Head == ErrorCodes.Refused && WireFormat.TryParseKebab<ConsentRefusal>(reply.Fields[0], out var reason)
            ? new ConsentRequestResult(Asked: false, reason)
            : throw Unexpected(reply);
    }
}
