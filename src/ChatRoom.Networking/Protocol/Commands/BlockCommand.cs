using ChatRoom.Blocking;

namespace ChatRoom.Protocol.Commands;

/// <summary><c>block &lt;user&gt;</c>: answered <c>ok block &lt;user&gt; [already]</c>, or why not.</summary>
internal sealed class BlockCommand() : ChatCommand<BlockResult>(new VerbSpec(
    "block", ["user"], [], TakesText: false, RequiresLogin: true, "stop a user from messaging you or seeing you"))
{
    /// <inheritdoc />
    public override async ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
        => Encode(request, await request.Services.Blacklist.BlockAsync(request.Me.User, request.Arg(0), cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public override ReplyNotice Encode(CommandRequest request, BlockResult result) => result switch
    {
        BlockResult.Blocked => ReplyNotice.Success(request.Tag, Name, request.Arg(0)),
        BlockResult.AlreadyBlocked => ReplyNotice.Success(request.Tag, Name, request.Arg(0), "already"),
        BlockResult.CannotBlockSelf => ReplyNotice.Failure(request.Tag, ErrorCodes.CannotBlockSelf, "you cannot block yourself"),
        _ => ReplyNotice.Failure(request.Tag, ErrorCodes.UnknownUser, $"there is no user named {request.Arg(0)}"),
    };

    /// <inheritdoc />
    public override BlockResult Decode(ReplyNotice reply) => reply switch
    {
        { Ok: true, Fields.Count: > 1 } => BlockResult.AlreadyBlocked,
        { Ok: true } => BlockResult.Blocked,
        { Head: ErrorCodes.CannotBlockSelf } => BlockResult.CannotBlockSelf,
        { Head: ErrorCodes.UnknownUser } => BlockResult.UnknownUser,
        _ => throw Unexpected(reply),
    };
}
