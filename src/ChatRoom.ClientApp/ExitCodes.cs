using ChatRoom.Shared;

namespace ChatRoom.ClientApp;

/// <summary>How the console client ends, as its exit code (README lists them for scripts).</summary>
internal static class ExitCodes
{
    /// <summary>Logged out, or input ended and the client logged out.</summary>
    public const int Ok = 0;

    /// <summary>The server could not be reached.</summary>
    public const int CannotConnect = 1;

    /// <summary>Bad command-line arguments.</summary>
    public const int BadUsage = CommandLineErrors.BadUsage;

    /// <summary>Input ended, or the connection closed, before a login succeeded.</summary>
    public const int NotLoggedIn = 3;

    /// <summary>The same user logged in elsewhere.</summary>
    public const int Displaced = 4;

    /// <summary>The server closed the connection or went away, and reconnecting (when on) gave up or was refused.</summary>
    public const int ServerGone = 5;
}
