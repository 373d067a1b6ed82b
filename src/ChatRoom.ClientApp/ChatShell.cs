using System.Globalization;
using System.Text;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Client;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Peer;
using ChatRoom.Protocol;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.ClientApp;

/// <summary>
/// The console client's logic without a console: turns each typed line into an SDK call and each result or incoming
/// notice into one printable line. The SDK returns typed outcomes; every sentence a person reads is worded here.
/// </summary>
internal sealed class ChatShell
{
    // The server's commands are worded by the SDK's command table; the rest are this app's own.
    private static readonly (string Usage, string Summary)[] s_commands =
    [
        Server("message"),
        Server("broadcast"),
        Server("online"),
        Server("block"),
        Server("unblock"),
        Server("getaddress"),
        ("private <user> <text>", "send a message straight to the user's client (after getaddress)"),
        ("y / n", "answer the oldest open question from someone who wants to chat privately"),
        Server("logout"),
        ("help", "show this list"),
    ];

    private readonly IChatClient _client;
    private readonly Action<string> _write;
    private readonly IPrivateChannel? _private;
    private readonly Queue<string> _openQuestions = new();
    private readonly Lock _gate = new();

    /// <summary>Creates a shell over <paramref name="client"/> that writes its lines to <paramref name="write"/>.</summary>
    /// <param name="client">A logged-in client.</param>
    /// <param name="write">Receives each line to show.</param>
    /// <param name="privateChannel">Sends private messages peer to peer; null when this client has none.</param>
    public ChatShell(IChatClient client, Action<string> write, IPrivateChannel? privateChannel = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _write = write ?? throw new ArgumentNullException(nameof(write));
        _private = privateChannel;
    }

    /// <summary>The command list, one line each.</summary>
    public static string Help => string.Join(Environment.NewLine, s_commands.Select(c => $"  {c.Usage,-24} {c.Summary}"));

    /// <summary>Carries out one typed line. Returns false after <c>logout</c>: the front end should stop reading.</summary>
    /// <exception cref="ChatConnectionException">The connection is gone.</exception>
    public async Task<bool> ExecuteAsync(string line, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(line);
        var rest = line.Trim();
        if (rest.Length == 0)
        {
            return true;
        }

        var verb = NextWord(ref rest).ToLowerInvariant();
        switch (verb)
        {
            case "message" when TryUserAndText(ref rest, Usage("message"), out var to, out var text):
                await SendAsync(to, text, cancellationToken).ConfigureAwait(false);
                return true;
            case "broadcast" when TryText(rest, Usage("broadcast")):
                var broadcast = await _client.BroadcastAsync(rest, cancellationToken).ConfigureAwait(false);
                _write(broadcast.Refusal is { } r
                    ? $"not sent: {Describe(r, "everyone")}"
                    : $"broadcast sent to {broadcast.Recipients}");
                return true;
            case "online" when NoArguments(rest, Usage("online")):
                _write($"online: {string.Join(", ", await _client.GetOnlineUsersAsync(cancellationToken).ConfigureAwait(false))}");
                return true;
            case "block" when TryUser(rest, Usage("block"), out var user):
                var blocked = await _client.BlockAsync(user, cancellationToken).ConfigureAwait(false);
                if (blocked is BlockResult.Blocked or BlockResult.AlreadyBlocked)
                {
                    _private?.Blocked(user, blocked: true);
                }

                _write(blocked switch
                {
                    BlockResult.Blocked => $"{user} is blocked",
                    BlockResult.AlreadyBlocked => $"{user} was already blocked",
                    BlockResult.CannotBlockSelf => "you cannot block yourself",
                    _ => $"there is no user named {user}",
                });
                return true;
            case "unblock" when TryUser(rest, Usage("unblock"), out var user):
                var unblocked = await _client.UnblockAsync(user, cancellationToken).ConfigureAwait(false) == UnblockResult.Unblocked;
                if (unblocked)
                {
                    _private?.Blocked(user, blocked: false);
                }

                _write(unblocked ? $"{user} is unblocked" : $"{user} is not in your block list");
                return true;
            case "getaddress" when TryUser(rest, Usage("getaddress"), out var user):
                var asked = await _client.RequestAddressAsync(user, cancellationToken).ConfigureAwait(false);
                _write(asked.Asked ? $"asked {user} for consent; waiting for the answer" : ConsentText.Describe(user, asked.Refusal!.Value));
                return true;
            case "private" when TryUserAndText(ref rest, "private <user> <text>", out var to, out var text):
                await SendPrivateAsync(to, text, cancellationToken).ConfigureAwait(false);
                return true;
            case "y" or "yes" or "n" or "no" when NoArguments(rest, verb):
                await AnswerAsync(verb[0] == 'y', cancellationToken).ConfigureAwait(false);
                return true;
            case "logout" when NoArguments(rest, Usage("logout")):
                await _client.LogoutAsync(cancellationToken).ConfigureAwait(false);
                _write("logged out");
                return false;
            case "help":
                _write($"commands:{Environment.NewLine}{Help}");
                return true;
            case "message" or "broadcast" or "online" or "block" or "unblock" or "getaddress" or "private" or "y" or "yes" or "n" or "no" or "logout":
                return true; // The usage line was written by the check that failed.
            default:
                _write($"unknown command '{Printable(verb)}'; the commands are:{Environment.NewLine}{Help}");
                return true;
        }
    }

    /// <summary>Notes what a notice means for later commands (open consent questions) and returns the line to show, or null.</summary>
    public string? Observe(SessionNotice notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        switch (notice)
        {
            case ConsentRequestNotice request:
                lock (_gate)
                {
                    _openQuestions.Enqueue(request.Requester);
                }

                break;
            case AddressGrantedNotice granted:
                _private?.Grant(granted);
                break;
            case ConsentConfirmedNotice confirmed:
                _private?.Accept(confirmed.Grant);
                break;
        }

        return Describe(notice);
    }

    /// <summary>The line a person reads for <paramref name="notice"/>, or null for notices that need none.</summary>
    public static string? Describe(SessionNotice notice) => notice switch
    {
        MessageNotice { FromOfflineStore: true, Message: var m } =>
            $"{m.From} (sent {m.SentAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} while you were offline): {Printable(m.Text)}",
        MessageNotice { Message: { Kind: MessageKind.Broadcast } m } => $"{m.From} (broadcast): {Printable(m.Text)}",
        MessageNotice { Message: { Kind: MessageKind.Private } m } => $"{m.From} (private): {Printable(m.Text)}",
        MessageNotice { Message: var m } => $"{m.From}: {Printable(m.Text)}",
        PresenceNotice p => p.Online ? $"* {p.User} is online" : $"* {p.User} went offline",
        ConsentRequestNotice r => $"? {r.Requester} wants to chat with you privately - allow? y/n",
        AddressGrantedNotice g => $"* {g.Grant.Target} agreed to chat privately: private {g.Grant.Target} <text> now goes straight to {g.Address}:{g.Port}",
        ConsentConfirmedNotice c => $"* {c.Grant.Requester} can now send you private messages",
        ConsentRefusedNotice r => $"* {ConsentText.Describe(r.Target, r.Reason)}",
        DisplacedNotice d => $"! you logged in from {d.NewAddress}; this session is closed",
        ByeNotice b => $"! server: {Printable(b.Text)}",
        ReconnectingNotice { Attempt: 1 } r => $"! lost the server ({r.Reason}); reconnecting",
        ReconnectedNotice r => $"* reconnected to {r.Server}",
        ReconnectRefusedNotice r => $"! cannot log in again: {Describe(r.Result)}",
        DisconnectedNotice d => d.Reason is "logout" or "disposed" ? null : $"! disconnected ({d.Reason})",
        _ => null,
    };

    // Why a login that worked before is refused on reconnect.
    private static string Describe(LoginResult refused) => refused switch
    {
        LoginInvalid => "the server no longer accepts your password",
        LoginLocked l => $"your name is locked for {Math.Ceiling(l.Remaining.TotalSeconds)} s",
        LoginAddressLocked a => $"your address is locked for {Math.Ceiling(a.Remaining.TotalSeconds)} s",
        _ => "the server refused the login",
    };

    /// <summary>The exit code a console client should end with after <paramref name="notice"/>: 0 after logout, 4 when displaced, 5 when the server went away (and reconnecting gave up or was refused).</summary>
    public static int ExitCodeFor(DisconnectedNotice notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        return notice.Reason switch
        {
            "logout" or "disposed" => ExitCodes.Ok,
            "displaced" => ExitCodes.Displaced,
            _ => ExitCodes.ServerGone,
        };
    }

    /// <summary>The line for a login outcome.</summary>
    public static string Describe(LoginResult result, string user) => result switch
    {
        LoginSuccess s => $"welcome, {s.User}! type help for the commands",
        LoginInvalid i => $"wrong user name or password; {i.AttemptsLeft} attempt{(i.AttemptsLeft == 1 ? string.Empty : "s")} left before {user} is locked",
        LoginLocked l => $"{user} is locked after too many failed logins; try again in {Math.Ceiling(l.Remaining.TotalSeconds)} s",
        LoginRetryLater r => $"too many failed logins for {user} from several places; try again in {Math.Ceiling(r.RetryAfter.TotalSeconds)} s",
        LoginAddressLocked a => $"too many failed logins from your address; try again in {Math.Ceiling(a.Remaining.TotalSeconds)} s",
        LoginUnavailable => "the server cannot check logins right now; try again later",
        _ => result.ToString() ?? string.Empty,
    };

    private async Task SendAsync(string to, string text, CancellationToken cancellationToken)
    {
        SendReceipt receipt;
        try
        {
            receipt = await _client.SendAsync(to, text, cancellationToken).ConfigureAwait(false);
        }
        catch (ChatConnectionException ex)
        {
            // Shown as sent only once the server acknowledged it; without that, say so plainly.
            _write($"not confirmed: the server did not acknowledge your message to {to} ({ex.Message}); it may not have been sent");
            return;
        }

        _write(receipt.Outcome switch
        {
            SendOutcome.Delivered => $"message to {to} delivered",
            SendOutcome.StoredOffline => $"{to} is offline; the message is kept and will be delivered at their next login",
            SendOutcome.Queued => $"message to {to} queued; they get it right after the earlier messages they are still receiving",
            _ => $"not sent: {Describe(receipt.Refusal!.Value, to)}",
        });
    }

    private async Task SendPrivateAsync(string to, string text, CancellationToken cancellationToken)
    {
        if (_private is null)
        {
            _write(Describe(delivery: null, to));
            return;
        }

        try
        {
            _write(Describe(await _private.SendAsync(to, text, cancellationToken).ConfigureAwait(false), to));
        }
        catch (ChatConnectionException ex)
        {
            _write($"not delivered: {to}'s client and the server are both unreachable ({ex.Message}); try again");
        }
    }

    /// <summary>The line for how a private message to <paramref name="to"/> went; null <paramref name="delivery"/> means there was no grant.</summary>
    public static string Describe(PrivateDelivery? delivery, string to) => delivery switch
    {
        null => $"run getaddress {to} first",
        { Route: PrivateRoute.Peer } => $"delivered privately to {to}",
        { ServerReceipt.Outcome: SendOutcome.Delivered } => $"{to}'s client is unreachable - sent through the server (delivered)",
        { ServerReceipt.Outcome: SendOutcome.StoredOffline } => $"{to}'s client is unreachable - sent through the server ({to} is offline; kept for their next login)",
        { ServerReceipt.Refusal: RefusalReason.Blocked } => $"{to}'s client is unreachable and the server refused the message: {to} has blocked you",
        { ServerReceipt.Refusal: RefusalReason.MailboxFull } => $"{to}'s client is unreachable and the server refused the message: {to} has too many unread messages waiting",
        _ => $"{to}'s client is unreachable and the server refused the message",
    };

    private async Task AnswerAsync(bool allow, CancellationToken cancellationToken)
    {
        string? requester;
        lock (_gate)
        {
            _openQuestions.TryDequeue(out requester);
        }

        if (requester is null)
        {
            _write("nobody is waiting for an answer");
            return;
        }

        var applied = await _client.AnswerConsentAsync(requester, allow, cancellationToken).ConfigureAwait(false);
        _write(applied == ConsentAnswerResult.NoSuchRequest
            ? $"{requester}'s question has expired"
            : allow ? $"you allowed {requester} to chat with you privately" : $"you declined {requester}");
    }

    private static string Describe(RefusalReason reason, string to) => reason switch
    {
        RefusalReason.Blocked => $"{to} has blocked you",
        RefusalReason.UnknownUser => $"there is no user named {to}",
        RefusalReason.Empty => "the message is empty",
        RefusalReason.MailboxFull => $"{to} has too many unread messages waiting; not sent, try again later",
        _ => "the message is too long",
    };

    private static (string Usage, string Summary) Server(string name)
    {
        var command = CommandHelp.Get(name);
        return (command.Usage, command.Summary);
    }

    private static string Usage(string name) => CommandHelp.Get(name).Usage;

    private bool TryUser(string rest, string usage, out string user)
    {
        user = NextWord(ref rest);
        if (!UserNames.IsValid(user) || rest.Length > 0)
        {
            _write($"usage: {usage}");
            return false;
        }

        return true;
    }

    private bool TryUserAndText(ref string rest, string usage, out string user, out string text)
    {
        user = NextWord(ref rest);
        text = rest;
        if (!UserNames.IsValid(user) || text.Length == 0)
        {
            _write($"usage: {usage}");
            return false;
        }

        return true;
    }

    private bool TryText(string rest, string usage)
    {
        if (rest.Length == 0)
        {
            _write($"usage: {usage}");
            return false;
        }

        return true;
    }

    private bool NoArguments(string rest, string usage)
    {
        if (rest.Length > 0)
        {
            _write($"usage: {usage}");
            return false;
        }

        return true;
    }

    private static string NextWord(ref string rest)
    {
        var end = rest.IndexOfAny([' ', '\t']);
        var word = end < 0 ? rest : rest[..end];
        rest = end < 0 ? string.Empty : rest[end..].TrimStart();
        return word;
    }

    // Text from others is shown without control characters, so nobody can drive your terminal.
    private static string Printable(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            sb.Append(char.IsControl(c) ? '?' : c);
        }

        return sb.ToString();
    }
}
