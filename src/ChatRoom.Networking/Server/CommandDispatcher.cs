using System.Globalization;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Presence;
using ChatRoom.Protocol;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatRoom.Server;

/// <summary>Carries out one client command against the core and answers it with one <c>ok</c> or <c>error</c> line.</summary>
internal sealed class CommandDispatcher
{
    private static readonly string s_help = string.Join(" | ", CommandTable.All.Select(s => s.Usage));

    private readonly ISessionManager _sessions;
    private readonly IMessageRouter _router;
    private readonly IBlacklistService _blacklist;
    private readonly IConsentService _consent;
    private readonly IOptionsMonitor<ChatRoomOptions> _core;
    private readonly ILogger _logger;

    public CommandDispatcher(
        ISessionManager sessions,
        IMessageRouter router,
        IBlacklistService blacklist,
        IConsentService consent,
        IOptionsMonitor<ChatRoomOptions> core,
        ILogger<ChatServer> logger)
    {
        _sessions = sessions;
        _router = router;
        _blacklist = blacklist;
        _consent = consent;
        _core = core;
        _logger = logger;
    }

    public async ValueTask HandleLineAsync(ServerConnection connection, string line, CancellationToken cancellationToken)
    {
        if (!CommandParser.TryParse(line, out var command, out var error))
        {
            ProtocolError(connection, error);
            return;
        }

        var session = connection.Session;
        if (command.Spec.RequiresLogin && session is null)
        {
            ProtocolError(connection, new ProtocolError(command.Tag, ErrorCodes.NotLoggedIn, $"log in first: {CommandTable.Get(ClientVerb.Login).Usage}"));
            return;
        }

        try
        {
            var reply = await ExecuteAsync(connection, command, session, cancellationToken).ConfigureAwait(false);
            if (reply is not null)
            {
                connection.Send(reply);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failure in one command is logged and told to its sender; the connection and everyone else carry on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ServerLog.CommandFailed(_logger, ex, command.Spec.Name, connection.Name);
            connection.Send(ReplyNotice.Failure(command.Tag, ErrorCodes.ServerError, $"the server could not complete {command.Spec.Name}; try again"));
        }
    }

    public void ProtocolError(ServerConnection connection, ProtocolError error)
    {
        ServerLog.ProtocolError(_logger, connection.Name, connection.Session?.User ?? "-", error.Code, error.Text);
        connection.Send(ReplyNotice.Failure(error));
    }

    /// <summary>The connection is gone: its session, if still current, ends and everyone allowed is told.</summary>
    public ValueTask ConnectionClosedAsync(ServerConnection connection)
        => connection.Session is { } session ? _sessions.LogoutAsync(session, LogoutReason.Disconnected) : ValueTask.CompletedTask;

    private async ValueTask<ReplyNotice?> ExecuteAsync(ServerConnection connection, ClientCommand command, ChatSession? session, CancellationToken cancellationToken)
    {
        var tag = command.Tag;
        switch (command.Verb)
        {
            case ClientVerb.Login:
                return await LoginAsync(connection, command, cancellationToken).ConfigureAwait(false);
            case ClientVerb.Help:
                return new ReplyNotice(tag, true, "help", [], s_help);
            case ClientVerb.Message:
                return Answer(tag, await _router.SendAsync(session!.User, command.Arg(0), command.Arg(1), cancellationToken).ConfigureAwait(false), command.Arg(0));
            case ClientVerb.Broadcast:
                var broadcast = await _router.BroadcastAsync(session!.User, command.Arg(0), cancellationToken).ConfigureAwait(false);
                return broadcast.Message is null
                    ? Refusal(tag, broadcast.Refusal!.Value, "everyone")
                    : new ReplyNotice(tag, true, "broadcast", [broadcast.Message.Id.ToString(), Number(broadcast.Recipients), Number(broadcast.Skipped)],
                        $"sent to {broadcast.Recipients}; skipped {broadcast.Skipped} who blocked you");
            case ClientVerb.Online:
                return ReplyNotice.Success(tag, "online", await _sessions.GetOnlineUsersAsync(session!, cancellationToken).ConfigureAwait(false));
            case ClientVerb.Block:
                return await _blacklist.BlockAsync(session!.User, command.Arg(0), cancellationToken).ConfigureAwait(false) switch
                {
                    BlockResult.Blocked => ReplyNotice.Success(tag, "block", command.Arg(0)),
                    BlockResult.AlreadyBlocked => ReplyNotice.Success(tag, "block", command.Arg(0), "already"),
                    BlockResult.CannotBlockSelf => ReplyNotice.Failure(tag, ErrorCodes.CannotBlockSelf, "you cannot block yourself"),
                    _ => ReplyNotice.Failure(tag, ErrorCodes.UnknownUser, $"there is no user named {command.Arg(0)}"),
                };
            case ClientVerb.Unblock:
                return await _blacklist.UnblockAsync(session!.User, command.Arg(0), cancellationToken).ConfigureAwait(false) == UnblockResult.Unblocked
                    ? ReplyNotice.Success(tag, "unblock", command.Arg(0))
                    : ReplyNotice.Failure(tag, ErrorCodes.NotBlocked, $"{command.Arg(0)} is not in your block list");
            case ClientVerb.Logout:
                await _sessions.LogoutAsync(session!, LogoutReason.Requested, cancellationToken).ConfigureAwait(false);
                connection.Send(ReplyNotice.Success(tag, "logout"));
                connection.CloseWith(new ByeNotice("logout", "goodbye"));
                return null;
            case ClientVerb.Ack:
                var ids = new List<MessageId>();
                foreach (var word in command.Arg(0).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!MessageId.TryParse(word, out var id))
                    {
                        return ReplyNotice.Failure(tag, ErrorCodes.BadArgument, $"'{word}' is not a message id");
                    }

                    ids.Add(id);
                }

                await _sessions.AcknowledgeAsync(session!, ids, cancellationToken).ConfigureAwait(false);
                return null;
            case ClientVerb.Heartbeat:
                return await _sessions.HeartbeatAsync(session!, cancellationToken).ConfigureAwait(false)
                    ? ReplyNotice.Success(tag, "heartbeat")
                    : ReplyNotice.Failure(tag, ErrorCodes.NotLoggedIn, "your session has ended; log in again");
            case ClientVerb.GetAddress:
                var asked = await _consent.RequestAsync(session!.Info, command.Arg(0), cancellationToken).ConfigureAwait(false);
                return asked.Asked
                    ? ReplyNotice.Success(tag, "getaddress", command.Arg(0), "asked")
                    : ReplyNotice.Failure(tag, ErrorCodes.Refused, [WireFormat.Kebab(asked.Refusal!.Value)], ConsentText.Describe(command.Arg(0), asked.Refusal.Value));
            case ClientVerb.Consent:
                var allow = CommandParser.ParseAnswer(command.Arg(1))!.Value;
                return await _consent.AnswerAsync(session!.Info, command.Arg(0), allow, cancellationToken).ConfigureAwait(false) == ConsentAnswerResult.Applied
                    ? ReplyNotice.Success(tag, "consent", command.Arg(0), allow ? "yes" : "no")
                    : ReplyNotice.Failure(tag, ErrorCodes.NoSuchRequest, $"{command.Arg(0)} has no open question for you");
            default:
                throw new InvalidOperationException($"No handler for {command.Verb}.");
        }
    }

    private async ValueTask<ReplyNotice?> LoginAsync(ServerConnection connection, ClientCommand command, CancellationToken cancellationToken)
    {
        var tag = command.Tag;
        if (connection.Session is { } current)
        {
            return ReplyNotice.Failure(tag, ErrorCodes.AlreadyLoggedIn, $"already logged in as {current.User}");
        }

        int? peerPort = command.OptionalArg(2) is { } port && CommandParser.TryParsePort(port, out var p) ? p : null;
        var login = await _sessions.LoginAsync(connection, command.Arg(0), command.Arg(1), peerPort, command.OptionalArg(3), cancellationToken).ConfigureAwait(false);
        switch (login.Result)
        {
            case LoginInvalid invalid:
                return ReplyNotice.Failure(tag, ErrorCodes.WrongCredentials, [Number(invalid.AttemptsLeft)],
                    $"wrong user name or password; {invalid.AttemptsLeft} attempt{(invalid.AttemptsLeft == 1 ? string.Empty : "s")} left");
            case LoginLocked locked:
                var seconds = (int)Math.Ceiling(locked.Remaining.TotalSeconds);
                return ReplyNotice.Failure(tag, ErrorCodes.Locked, [Number(seconds)], $"too many failed logins; {command.Arg(0)} is locked for {seconds} s");
        }

        var session = login.Session!;
        connection.Session = session;
        connection.Send(ReplyNotice.Success(tag, "login", session.User));

        // The reply goes first; then what was kept, in windows, and the announcement.
        await _sessions.StartAsync(session, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private ReplyNotice Answer(string? tag, SendResult result, string to) => result.Outcome switch
    {
        SendOutcome.Delivered => ReplyNotice.Success(tag, "message", "delivered", to, result.Message!.Id.ToString()),
        SendOutcome.StoredOffline => ReplyNotice.Success(tag, "message", "stored", to, result.Message!.Id.ToString()),
        SendOutcome.Queued => ReplyNotice.Success(tag, "message", "queued", to, result.Message!.Id.ToString()),
        _ => Refusal(tag, result.Refusal!.Value, to),
    };

    private ReplyNotice Refusal(string? tag, RefusalReason reason, string to) => reason switch
    {
        RefusalReason.Blocked => ReplyNotice.Failure(tag, ErrorCodes.Blocked, $"{to} has blocked you; your message was not sent"),
        RefusalReason.UnknownUser => ReplyNotice.Failure(tag, ErrorCodes.UnknownUser, $"there is no user named {to}"),
        RefusalReason.Empty => ReplyNotice.Failure(tag, ErrorCodes.EmptyMessage, "the message is empty"),
        _ => ReplyNotice.Failure(tag, ErrorCodes.MessageTooLong, $"the message is longer than {_core.CurrentValue.MaxMessageBytes} bytes"),
    };

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
