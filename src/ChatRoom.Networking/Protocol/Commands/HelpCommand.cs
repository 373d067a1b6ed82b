namespace ChatRoom.Protocol.Commands;

/// <summary><c>help</c>: answered <c>ok help :&lt;usage&gt; | &lt;usage&gt; | ...</c>, every command of the table.</summary>
internal sealed class HelpCommand() : ChatCommand(new VerbSpec(
    "help", [], [], TakesText: false, RequiresLogin: false, "list the commands"))
{
    // Built on first use: the table is still being built when this command is.
    private readonly Lazy<string> _text = new(() => string.Join(" | ", CommandTable.All.Select(c => c.Spec.Usage)));

    /// <inheritdoc />
    public override ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
        => ValueTask.FromResult<CommandOutcome>(new ReplyNotice(request.Tag, true, Name, [], _text.Value));
}
