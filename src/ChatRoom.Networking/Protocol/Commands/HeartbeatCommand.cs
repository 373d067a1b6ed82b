namespace ChatRoom.Protocol.Commands;

/// <summary><c>heartbeat</c>: answered <c>ok heartbeat</c>, or <c>not-logged-in</c> when the session has already ended.</summary>
internal sealed class HeartbeatCommand() : PlainCommand(new VerbSpec(
    "heartbeat", [], [], TakesText: false, RequiresLogin: true, "tell the server you are still there (as often as hello says)"))
{
    /// <inheritdoc />
    public override async ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
        => await request.Services.Sessions.HeartbeatAsync(request.Me, cancellationToken).ConfigureAwait(false)
            ? Encode(request, default)
            : ReplyNotice.Failure(request.Tag, ErrorCodes.NotLoggedIn, "your session has ended; log in again");
}
