namespace ChatRoom.Protocol.Commands;

/// <summary><c>online</c>: answered <c>ok online &lt;user&gt;*</c>.</summary>
internal sealed class OnlineCommand() : ChatCommand<IReadOnlyList<string>>(new VerbSpec(
    "online", [], [], TakesText: false, RequiresLogin: true, "list who is online (users who blocked you are not shown)"))
{
    /// <inheritdoc />
    public override async ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
        => Encode(request, await request.Services.Sessions.GetOnlineUsersAsync(request.Me, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public override ReplyNotice Encode(CommandRequest request, IReadOnlyList<string> result) => ReplyNotice.Success(request.Tag, Name, result);

    /// <inheritdoc />
    public override IReadOnlyList<string> Decode(ReplyNotice reply) => reply.Ok ? reply.Fields : throw Unexpected(reply);
}
