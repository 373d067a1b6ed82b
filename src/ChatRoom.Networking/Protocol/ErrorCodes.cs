namespace ChatRoom.Protocol;

/// <summary>The machine-readable codes of <c>error</c> lines.</summary>
public static class ErrorCodes
{
    /// <summary>The line is longer than the server accepts.</summary>
    public const string LineTooLong = "line-too-long";

    /// <summary>The line is not valid UTF-8.</summary>
    public const string InvalidUtf8 = "invalid-utf8";

    /// <summary>The first word is not a command.</summary>
    public const string UnknownCommand = "unknown-command";

    /// <summary>A required parameter is missing.</summary>
    public const string MissingArgument = "missing-argument";

    /// <summary>A parameter is malformed, or there are too many.</summary>
    public const string BadArgument = "bad-argument";

    /// <summary>The command needs a login first.</summary>
    public const string NotLoggedIn = "not-logged-in";

    /// <summary>This connection is logged in already.</summary>
    public const string AlreadyLoggedIn = "already-logged-in";

    /// <summary>Unknown user or wrong password.</summary>
    public const string WrongCredentials = "wrong-credentials";

    /// <summary>The user name is locked for this address after repeated failures from it.</summary>
    public const string Locked = "locked";

    /// <summary>The user name is slowed down after failures from many addresses; the login was not checked, try again in the seconds given.</summary>
    public const string TryAgain = "try-again";

    /// <summary>This address has had too many failed logins, whatever the names; it may not log in for the seconds given.</summary>
    public const string AddressLocked = "address-locked";

    /// <summary>No such user.</summary>
    public const string UnknownUser = "unknown-user";

    /// <summary>The recipient has blocked the sender.</summary>
    public const string Blocked = "blocked";

    /// <summary>The message text is empty.</summary>
    public const string EmptyMessage = "empty-message";

    /// <summary>The message text is over the limit.</summary>
    public const string MessageTooLong = "message-too-long";

    /// <summary>The recipient's box of kept, unacknowledged messages is full; the message was not stored. Carries the recipient.</summary>
    public const string MailboxFull = "mailbox-full";

    /// <summary>Blocking oneself.</summary>
    public const string CannotBlockSelf = "cannot-block-self";

    /// <summary>Unblocking someone not blocked.</summary>
    public const string NotBlocked = "not-blocked";

    /// <summary>A getaddress refused at once (offline, blocked, self, pending).</summary>
    public const string Refused = "refused";

    /// <summary>A consent answer with no open question.</summary>
    public const string NoSuchRequest = "no-such-request";

    /// <summary>The server could not complete the command.</summary>
    public const string ServerError = "server-error";

    /// <summary>The connection was refused: too many from this address (<c>address</c>) or in total (<c>server</c>).</summary>
    public const string TooManyConnections = "too-many-connections";

    /// <summary>The line was refused: this connection sends faster than the server's limit; the field says when to retry.</summary>
    public const string RateLimited = "rate-limited";
}
