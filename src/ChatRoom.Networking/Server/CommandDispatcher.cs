using System.Buffers;
using System.Globalization;
using ChatRoom.Blocking;
using ChatRoom.Consent;
using ChatRoom.Presence;
using ChatRoom.Protocol;
using ChatRoom.Protocol.Commands;
using ChatRoom.Routing;
using ChatRoom.Server.Diagnostics;
using ChatRoom.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatRoom.Server;

/// <summary>
/// Turns one client line into its <see cref="CommandOutcome"/>: parse, look the command up, check the login, run its
/// handler. It does not post the reply; its caller (the connection's read loop) does, in command order.
/// </summary>
internal sealed class CommandDispatcher
{
    private readonly CommandServices _services;
    private readonly ILogger _logger;
    private readonly ChatServerMetrics _metrics;
    private readonly int _maxRefusedLines;
    private readonly StoreFailureLog _storeFailures;

    public CommandDispatcher(
        ISessionManager sessions,
        IMessageRouter router,
        IBlacklistService blacklist,
        IConsentService consent,
        IOptionsMonitor<ChatRoomOptions> core,
        IOptions<ChatServerOptions> server,
        ILogger<ChatServer> logger,
        ChatServerMetrics metrics,
        TimeProvider time)
    {
        _storeFailures = new StoreFailureLog(time);
        _metrics = metrics;
        _services = new CommandServices(sessions, router, blacklist, consent, core, metrics);
        _maxRefusedLines = server.Value.MaxRefusedLines;
        _logger = logger;
    }

    /// <summary>
    /// Starts carrying out <paramref name="line"/>, read on <paramref name="connection"/>. Posts nothing: the caller
    /// carries out the outcome as <see cref="DispatchedLine.Order"/> says: a message or an acknowledgement may still be
    /// waiting for the store when this returns, and the read loop goes on to the next line meanwhile; any other command
    /// must be finished before the next line is read.
    /// </summary>
    public DispatchedLine Dispatch(ServerConnection connection, in ReadOnlySequence<byte> line, CancellationToken cancellationToken)
    {
        var parsed = CommandParser.TryParse(line, out var command, out var error);
        var limits = connection.Limits;
        var wasLimiting = limits.Limiting;
        if (!limits.TryTakeLine(out var retryAfter))
        {
            return Immediate(RateLimited(connection, parsed ? command.Tag : error.Tag, retryAfter, "command", wasLimiting));
        }

        if (!parsed)
        {
            return Immediate(Refuse(connection, error, CommandParser.KnownVerb(line), (int)line.Length));
        }

        var session = connection.Session;
        if (command.Spec.RequiresLogin && session is null)
        {
            return Immediate(Refuse(connection, new ProtocolError(command.Tag, ErrorCodes.NotLoggedIn, $"log in first: {CommandTable.Login.Spec.Usage}"), command.Spec.Name, (int)line.Length));
        }

        if (command.Definition is MessageCommand or BroadcastCommand && !limits.TryTakeMessage(out retryAfter))
        {
            return Immediate(RateLimited(connection, command.Tag, retryAfter, "message", wasLimiting));
        }

        var request = new CommandRequest(command, session, connection, _services);
        var outcome = GuardAsync(command, connection, ct => command.Definition.HandleAsync(request, ct), cancellationToken);

        // A message only waits for its commit, and an acknowledgement has no reply (unless it fails): neither changes
        // what the next line finds, so the connection reads on. Everything else (a login, a block, a logout) is finished
        // first.
        return new(outcome, command.Definition switch
        {
            MessageCommand => LineOrder.Pipelined,
            AckCommand => LineOrder.Detached,
            _ => LineOrder.Sequential,
        });
    }

    private static DispatchedLine Immediate(CommandOutcome outcome) => new(new ValueTask<CommandOutcome>(outcome), LineOrder.Sequential);

    /// <summary>Carries out <paramref name="outcome"/> on <paramref name="connection"/>: session, reply, close, then what follows.</summary>
    public static async ValueTask DeliverAsync(ServerConnection connection, CommandOutcome outcome, CancellationToken cancellationToken)
    {
        for (var next = outcome; next is not null;)
        {
            if (next.LoggedIn is { } session)
            {
                connection.Session = session;
            }

            if (next.Reply is { } reply)
            {
                connection.Send(reply);
            }

            if (next.Final is { } final)
            {
                connection.CloseWith(final);
            }

            next = next.Then is { } then ? await then(cancellationToken).ConfigureAwait(false) : null;
        }
    }

    /// <summary>Answers a line that could not be read (too long, not UTF-8) with its error.</summary>
    public void ProtocolError(ServerConnection connection, ProtocolError error) => connection.Send(Refuse(connection, error, null, 0));

    /// <summary>The connection is gone: its session, if still current, ends and everyone allowed is told.</summary>
    public ValueTask ConnectionClosedAsync(ServerConnection connection)
        => connection.Session is { } session ? _services.Sessions.LogoutAsync(session, LogoutReason.Disconnected) : ValueTask.CompletedTask;

    // The excess is refused at once, never queued; a run of refusals is logged once, and a flooder that keeps on past
    // MaxRefusedLines is cut, so ignoring the refusals does not make them free.
    private CommandOutcome RateLimited(ServerConnection connection, string? tag, TimeSpan retryAfter, string limit, bool wasLimiting)
    {
        var user = connection.Session?.User ?? "-";
        if (!wasLimiting)
        {
            ServerLog.RateLimited(_logger, connection.Name, user, limit);
        }

        _metrics.RateLimited(limit);
        var milliseconds = (int)Math.Ceiling(Math.Min(retryAfter.TotalMilliseconds, int.MaxValue));
        var reply = ReplyNotice.Failure(tag, ErrorCodes.RateLimited, [milliseconds.ToString(CultureInfo.InvariantCulture)], $"too many {limit}s; try again in {milliseconds} ms");
        if (connection.Limits.TryRefuse())
        {
            return reply;
        }

        ServerLog.FlooderDisconnected(_logger, connection.Name, user, _maxRefusedLines);
        _metrics.ConnectionDropped(ConnectionDrop.Flooding);
        return new CommandOutcome(reply) { Final = new ByeNotice("flooding", "too many lines refused by the rate limit; disconnecting") };
    }

    // The log gets the code, a known verb and the length, never the client's text: a password typed at the wrong
    // prompt arrives as an unknown command, and a hash of it would be as good as the password to anyone who reads logs.
    private ReplyNotice Refuse(ServerConnection connection, ProtocolError error, string? verb, int length)
    {
        ServerLog.ProtocolError(_logger, connection.Name, connection.Session?.User ?? "-", error.Code, verb ?? "-", length);
        return ReplyNotice.Failure(error);
    }

    // Runs one step of a command, and guards the steps that follow it the same way.
    private async ValueTask<CommandOutcome> GuardAsync(
        ClientCommand command, ServerConnection connection, Func<CancellationToken, ValueTask<CommandOutcome>> step, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = await step(cancellationToken).ConfigureAwait(false);
            return outcome.Then is { } then ? outcome with { Then = ct => GuardAsync(command, connection, then, ct) } : outcome;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failure in one command is logged and told to its sender; the connection and everyone else carry on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (ex is not Storage.ChatStoreException)
            {
                ServerLog.CommandFailed(_logger, ex, command.Spec.Name, connection.Name);
            }
            else if (_storeFailures.ShouldLog(out var unlogged))
            {
                ServerLog.StoreFailed(_logger, ex, command.Spec.Name, connection.Name, unlogged);
            }

            return ReplyNotice.Failure(command.Tag, ErrorCodes.ServerError, $"the server could not complete {command.Spec.Name}; try again");
        }
    }
}

/// <summary>A line handed to <see cref="CommandDispatcher.Dispatch"/>: its outcome, and how it is ordered with the lines around it.</summary>
internal readonly record struct DispatchedLine(ValueTask<CommandOutcome> Outcome, LineOrder Order);

/// <summary>How a command's outcome is ordered with the lines read after it.</summary>
internal enum LineOrder
{
    /// <summary>Finished, and its outcome carried out, before the next line is read.</summary>
    Sequential,

    /// <summary>The next line is read while it finishes; its reply still goes out in command order.</summary>
    Pipelined,

    /// <summary>The next line is read while it finishes; it has no reply unless it fails, and that one goes out when ready.</summary>
    Detached,
}
