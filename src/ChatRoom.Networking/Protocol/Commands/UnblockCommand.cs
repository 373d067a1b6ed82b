using ChatRoom.Blocking;

namespace ChatRoom.Protocol.Commands;

/// <summary><c>unblock &lt;user&gt;</c>: answered <c>ok unblock &lt;user&gt;</c>, or <c>not-blocked</c>.</summary>
internal sealed class UnblockCommand() : ChatCommand<UnblockResult>(new VerbSpec(
    "unblock", ["user"], [], TakesText: false, RequiresLogin: true, "undo a block"))
{
    /// <inheritdoc />
    public override async ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
        => Encode(request, await request.Services.Blacklist.UnblockAsync(request.Me.User, request.Arg(0), cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public override ReplyNotice Encode(CommandRequest request, UnblockResult result) => result == UnblockResult.Unblocked
        ? ReplyNotice.Success(request.Tag, Name, request.Arg(0))
        : ReplyNotice.Failure(request.Tag, ErrorCodes.NotBlocked, $"{request.Arg(0)} is not in your block list");

    /// <inheritdoc />
    public override UnblockResult Decode(ReplyNotice reply) => reply switch
    {
        { Ok: true } => UnblockResult.Unblocked,
        { Head: ErrorCodes.NotBlocked } => UnblockResult.NotBlocked,
        _ => throw Unexpected(reply),
    };
}
