using ChatRoom.Blocking;
using ChatRoom.Consent;
using ChatRoom.Routing;
using ChatRoom.Server.Diagnostics;
using ChatRoom.Sessions;
using Microsoft.Extensions.Options;

namespace ChatRoom.Protocol.Commands;

/// <summary>The parts of the core that command handlers ask.</summary>
/// <param name="Sessions">Log in, hand over, acknowledge, heartbeat, log out, who is online.</param>
/// <param name="Router">Direct messages and broadcasts.</param>
/// <param name="Blacklist">Block lists.</param>
/// <param name="Consent">getaddress and its answers.</param>
/// <param name="Options">The core's options (limits named in replies).</param>
/// <param name="Metrics">The server's instruments.</param>
internal sealed record CommandServices(
    ISessionManager Sessions,
    IMessageRouter Router,
    IBlacklistService Blacklist,
    IConsentService Consent,
    IOptionsMonitor<ChatRoomOptions> Options,
    ChatServerMetrics Metrics);

/// <summary>One parsed command on its way to its handler.</summary>
/// <param name="Command">The command as parsed.</param>
/// <param name="Session">The session logged in on the connection, or null.</param>
/// <param name="Connection">The connection it came on; the session engine reaches the client through it.</param>
/// <param name="Services">The core.</param>
internal sealed record CommandRequest(ClientCommand Command, ChatSession? Session, ISessionConnection Connection, CommandServices Services)
{
    /// <summary>The tag to echo.</summary>
    public string? Tag => Command.Tag;

    /// <summary>The logged-in session; the dispatcher has checked there is one for commands that need it.</summary>
    public ChatSession Me => Session ?? throw new InvalidOperationException($"{Command.Spec.Name} needs a session.");

    /// <summary>The parameter at <paramref name="index"/>.</summary>
    public string Arg(int index) => Command.Arg(index);
}

/// <summary>
/// What one command comes to: the reply, and what follows it. The dispatcher returns it and its caller carries it out in
/// this order: adopt <see cref="LoggedIn"/>, queue <see cref="Reply"/>, then <see cref="Final"/> (closing the connection),
/// then run <see cref="Then"/> and carry out its outcome the same way.
/// </summary>
/// <param name="Reply">The <c>ok</c> or <c>error</c> line, or null for a command without a reply (<c>ack</c>).</param>
internal sealed record CommandOutcome(ReplyNotice? Reply)
{
    /// <summary>No reply and nothing after.</summary>
    public static CommandOutcome None { get; } = new((ReplyNotice?)null);

    /// <summary>The session a login opened: the connection's session from now on.</summary>
    public ChatSession? LoggedIn { get; init; }

    /// <summary>The last line before the connection closes (after <see cref="Reply"/>), or null to keep it open.</summary>
    public SessionNotice? Final { get; init; }

    /// <summary>Work that must follow the reply on the wire (a login hands over what was kept only after <c>ok login</c>).</summary>
    public Func<CancellationToken, ValueTask<CommandOutcome>>? Then { get; init; }

    /// <summary>A reply and nothing more.</summary>
    public static implicit operator CommandOutcome(ReplyNotice reply) => new(reply);
}
