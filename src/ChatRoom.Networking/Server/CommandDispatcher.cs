using System.Globalization;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Presence;
using ChatRoom.Protocol;
using ChatRoom.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatRoom.Server;

/// <summary>Carries out one client command against the core and answers it with one <c>ok</c> or <c>error</c> line.</summary>
internal sealed class CommandDispatcher
{
    private static readonly string s_help = string.Join(" | ", CommandTable.All.Select(s => s.Usage));

    private readonly IAuthService _auth;
    private readonly IPresenceService _presence;
    private readonly IMessageRouter _router;
    private readonly IBlacklistService _blacklist;
    private readonly IConsentService _consent;
    private readonly ConnectionRegistry _registry;
    private readonly IOptionsMonitor<ChatRoomOptions> _core;
    private readonly ILogger _logger;

    public CommandDispatcher(
        IAuthService auth,
        IPresenceService presence,
        IMessageRouter router,
        IBlacklistService blacklist,
        IConsentService consent,
        ConnectionRegistry registry,
        IOptionsMonitor<ChatRoomOptions> core,
        ILogger<ChatServer> logger)
    {
        _auth = auth;
        _presence = presence;
        _router = router;
        _blacklist = blacklist;
        _consent = consent;
        _registry = registry;
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
        => connection.Session is { } session ? EndSessionAsync(connection, session, LogoutReason.Disconnected) : ValueTask.CompletedTask;

    /// <summary>The sweep expired <paramref name="session"/>: close its connection and tell the others.</summary>
    public async ValueTask SessionExpiredAsync(SessionInfo session)
    {
        if (_registry.Find(session.Id) is { } connection && connection.TryDetachSession(session.Id))
        {
            _registry.Unregister(session.Id, connection);
            connection.CloseWith(new ByeNotice("expired", $"no heartbeat for {_core.CurrentValue.HeartbeatTimeout.TotalSeconds:0} s; you are logged out"));
        }

        _consent.SessionEnded(session);
        await _router.AnnouncePresenceAsync(session, online: false).ConfigureAwait(false);
    }

    private async ValueTask<ReplyNotice?> ExecuteAsync(ServerConnection connection, ClientCommand command, SessionInfo? session, CancellationToken cancellationToken)
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
                return ReplyNotice.Success(tag, "online", await VisibleOnlineUsersAsync(session!.User, cancellationToken).ConfigureAwait(false));
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
                await EndSessionAsync(connection, session!, LogoutReason.Requested).ConfigureAwait(false);
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

                await _router.AcknowledgeAsync(session!.User, ids, cancellationToken).ConfigureAwait(false);
                return null;
            case ClientVerb.Heartbeat:
                return await _presence.HeartbeatAsync(session!.Id, session.User, cancellationToken).ConfigureAwait(false)
                    ? ReplyNotice.Success(tag, "heartbeat")
                    : ReplyNotice.Failure(tag, ErrorCodes.NotLoggedIn, "your session has ended; log in again");
            case ClientVerb.GetAddress:
                var asked = await _consent.RequestAsync(session!, command.Arg(0), cancellationToken).ConfigureAwait(false);
                return asked.Asked
                    ? ReplyNotice.Success(tag, "getaddress", command.Arg(0), "asked")
                    : ReplyNotice.Failure(tag, ErrorCodes.Refused, [WireFormat.Kebab(asked.Refusal!.Value)], ConsentText.Describe(command.Arg(0), asked.Refusal.Value));
            case ClientVerb.Consent:
                var allow = CommandParser.ParseAnswer(command.Arg(1))!.Value;
                return await _consent.AnswerAsync(session!, command.Arg(0), allow, cancellationToken).ConfigureAwait(false) == ConsentAnswerResult.Applied
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

        var result = await _auth.LoginAsync(command.Arg(0), command.Arg(1), connection.RemoteAddress, cancellationToken).ConfigureAwait(false);
        switch (result)
        {
            case LoginInvalid invalid:
                return ReplyNotice.Failure(tag, ErrorCodes.WrongCredentials, [Number(invalid.AttemptsLeft)],
                    $"wrong user name or password; {invalid.AttemptsLeft} attempt{(invalid.AttemptsLeft == 1 ? string.Empty : "s")} left");
            case LoginLocked locked:
                var seconds = (int)Math.Ceiling(locked.Remaining.TotalSeconds);
                return ReplyNotice.Failure(tag, ErrorCodes.Locked, [Number(seconds)], $"too many failed logins; {command.Arg(0)} is locked for {seconds} s");
        }

        var user = ((LoginSuccess)result).User;
        int? peerPort = command.OptionalArg(2) is { } port && CommandParser.TryParsePort(port, out var p) ? p : null;

        // Live notices wait until the stored ones are queued, so the user reads in order.
        connection.BeginCatchUp();
        var login = await _presence.LoginAsync(user, connection.RemoteAddress, peerPort, command.OptionalArg(3), cancellationToken).ConfigureAwait(false);
        connection.AttachSession(login.Session);
        _registry.Register(login.Session.Id, connection);
        if (login.Displaced is { } displaced)
        {
            if (_registry.Find(displaced.Id) is { } previous && previous.TryDetachSession(displaced.Id))
            {
                _registry.Unregister(displaced.Id, previous);
                previous.CloseWith(new DisplacedNotice(connection.RemoteAddress));
            }

            _consent.SessionEnded(displaced);
        }

        connection.Send(ReplyNotice.Success(tag, "login", user));
        try
        {
            await _router.DeliverOfflineAsync(login.Session, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            connection.EndCatchUp();
        }

        await _router.AnnouncePresenceAsync(login.Session, online: true, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private async ValueTask EndSessionAsync(ServerConnection connection, SessionInfo session, LogoutReason reason)
    {
        if (!connection.TryDetachSession(session.Id))
        {
            return;
        }

        _registry.Unregister(session.Id, connection);
        if (await _presence.LogoutAsync(session.Id, session.User, reason).ConfigureAwait(false) is { } ended)
        {
            _consent.SessionEnded(ended);
            await _router.AnnouncePresenceAsync(ended, online: false).ConfigureAwait(false);
        }
    }

    private async ValueTask<string[]> VisibleOnlineUsersAsync(string user, CancellationToken cancellationToken)
    {
        var visible = new List<string>();
        foreach (var other in await _presence.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            // Someone who blocked you does not show as online to you.
            if (!await _blacklist.HasBlockedAsync(other.User, user, cancellationToken).ConfigureAwait(false))
            {
                visible.Add(other.User);
            }
        }

        visible.Sort(StringComparer.Ordinal);
        return [.. visible];
    }

    private ReplyNotice Answer(string? tag, SendResult result, string to) => result.Outcome switch
    {
        SendOutcome.Delivered => ReplyNotice.Success(tag, "message", "delivered", to, result.Message!.Id.ToString()),
        SendOutcome.StoredOffline => ReplyNotice.Success(tag, "message", "stored", to, result.Message!.Id.ToString()),
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
