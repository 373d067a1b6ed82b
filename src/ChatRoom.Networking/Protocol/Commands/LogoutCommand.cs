using ChatRoom.Presence;
using ChatRoom.Sessions;

namespace ChatRoom.Protocol.Commands;

/// <summary><c>logout</c>: answered <c>ok logout</c>, then <c>bye logout</c>, and the connection closes.</summary>
internal sealed class LogoutCommand() : PlainCommand(new VerbSpec(
    "logout", [], [], TakesText: false, RequiresLogin: true, "log out; the server then closes the connection"))
{
    /// <inheritdoc />
    public override async ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        await request.Services.Sessions.LogoutAsync(request.Me, LogoutReason.Requested, cancellationToken).ConfigureAwait(false);
        return new CommandOutcome(Encode(request, default)) { Final = new ByeNotice("logout", "goodbye") };
    }
}
