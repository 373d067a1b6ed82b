using System.Globalization;
using System.Net;
using ChatRoom.Auth;
using ChatRoom.Tls;

namespace ChatRoom.Protocol.Commands;

/// <summary><c>login &lt;user&gt; &lt;password&gt; [peer-port] [peer-address] [peer-pin]</c>: answered <c>ok login &lt;user&gt;</c>, then what was kept.</summary>
internal sealed class LoginCommand() : ChatCommand<LoginResult>(new VerbSpec(
    "login", ["user", "password"], ["peer-port", "peer-address", "peer-pin"], TakesText: false, RequiresLogin: false,
    "log in; peer-port is where this client accepts private (peer-to-peer) chats, peer-address the IP peers should use (- or absent: the address the server sees), peer-pin the SHA-256 pin of the certificate its peer port speaks TLS with"))
{
    /// <summary>The peer-address placeholder for "the address the server sees", so a peer-pin can follow it.</summary>
    public const string AddressSeenByServer = "-";

    /// <inheritdoc />
    public override string? Validate(IReadOnlyList<string> args)
    {
        if (args.Count > 2 && !TryParsePort(args[2], out _))
        {
            return "peer-port must be a number from 1 to 65535";
        }

        if (args.Count > 3 && args[3] != AddressSeenByServer && !IPAddress.TryParse(args[3], out _))
        {
            return "peer-address must be an IP address or -";
        }

        return args.Count > 4 && TlsCertificates.NormalizePin(args[4]) is null ? "peer-pin must be 64 hex digits (a SHA-256 pin)" : null;
    }

    /// <inheritdoc />
    public override async ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        if (request.Session is { } current)
        {
            return ReplyNotice.Failure(request.Tag, ErrorCodes.AlreadyLoggedIn, $"already logged in as {current.User}");
        }

        var sessions = request.Services.Sessions;
        int? peerPort = request.Command.OptionalArg(2) is { } port && TryParsePort(port, out var p) ? p : null;
        var peerAddress = request.Command.OptionalArg(3) is { } address && address != AddressSeenByServer ? address : null;
        var peerPin = TlsCertificates.NormalizePin(request.Command.OptionalArg(4));
        var login = await sessions.LoginAsync(request.Connection, request.Arg(0), request.Arg(1), peerPort, peerAddress, peerPin, cancellationToken).ConfigureAwait(false);
        request.Services.Metrics.Login(login.Result);
        if (login.Session is not { } session)
        {
            return Encode(request, login.Result);
        }

        // The reply goes first; then what was kept, in windows, and the announcement.
        return new CommandOutcome(Encode(request, new LoginSuccess(session.User)))
        {
            LoggedIn = session,
            Then = async ct =>
            {
                await sessions.StartAsync(session, ct).ConfigureAwait(false);
                return CommandOutcome.None;
            },
        };
    }

    /// <inheritdoc />
    public override ReplyNotice Encode(CommandRequest request, LoginResult result)
    {
        switch (result)
        {
            case LoginSuccess success:
                return ReplyNotice.Success(request.Tag, Name, success.User);
            case LoginInvalid invalid:
                return ReplyNotice.Failure(request.Tag, ErrorCodes.WrongCredentials, [Number(invalid.AttemptsLeft)],
                    $"wrong user name or password; {invalid.AttemptsLeft} attempt{(invalid.AttemptsLeft == 1 ? string.Empty : "s")} left");
            case LoginLocked locked:
                var seconds = Seconds(locked.Remaining);
                return ReplyNotice.Failure(request.Tag, ErrorCodes.Locked, [Number(seconds)], $"too many failed logins; {request.Arg(0)} is locked for {seconds} s");
            case LoginRetryLater later:
                var wait = Seconds(later.RetryAfter);
                return ReplyNotice.Failure(request.Tag, ErrorCodes.TryAgain, [Number(wait)], $"too many failed logins for {request.Arg(0)} from several addresses; try again in {wait} s");
            case LoginAddressLocked address:
                var left = Seconds(address.Remaining);
                return ReplyNotice.Failure(request.Tag, ErrorCodes.AddressLocked, [Number(left)], $"too many failed logins from your address; try again in {left} s");
            case LoginUnavailable:
                return ReplyNotice.Failure(request.Tag, ErrorCodes.ServerError, "login refused: the server cannot record login attempts now; try again later");
            default:
                throw new ArgumentException($"No reply for {result}.", nameof(result));
        }
    }

    /// <inheritdoc />
    public override LoginResult Decode(ReplyNotice reply) => reply switch
    {
        { Ok: true } => new LoginSuccess(reply.Fields[0]),
        { Head: ErrorCodes.WrongCredentials } => new LoginInvalid(ParseInt(reply.Fields[0])),
        { Head: ErrorCodes.Locked } => new LoginLocked(TimeSpan.FromSeconds(ParseInt(reply.Fields[0]))),
        { Head: ErrorCodes.TryAgain } => new LoginRetryLater(TimeSpan.FromSeconds(ParseInt(reply.Fields[0]))),
        { Head: ErrorCodes.AddressLocked } => new LoginAddressLocked(TimeSpan.FromSeconds(ParseInt(reply.Fields[0]))),
        { Head: ErrorCodes.ServerError } => new LoginUnavailable(),
        _ => throw Unexpected(reply),
    };

    // Rounded up, so a client that waits the seconds it is told is never refused for a fraction left over.
    private static int Seconds(TimeSpan time) => (int)Math.Ceiling(time.TotalSeconds);

    private static bool TryParsePort(string text, out int port)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
}
