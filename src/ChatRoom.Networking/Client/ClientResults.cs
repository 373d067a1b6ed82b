using ChatRoom.Auth;
using ChatRoom.Messaging;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Client;

/// <summary>What the server did with a direct message.</summary>
/// <param name="Outcome">Delivered now, stored for an offline user, or refused.</param>
/// <param name="MessageId">The id the server gave it, unless refused.</param>
/// <param name="Refusal">Why it was refused, if it was.</param>
public sealed record SendReceipt(SendOutcome Outcome, MessageId? MessageId, RefusalReason? Refusal = null);

/// <summary>What the server did with a broadcast.</summary>
/// <param name="MessageId">The id the server gave it, unless refused.</param>
/// <param name="Recipients">How many online users it was queued to. Users who blocked you are never among them, and the
/// server does not say how many there were, so the count does not change as they log in or out.</param>
/// <param name="Refusal">Why it was refused, if it was.</param>
public sealed record BroadcastReceipt(MessageId? MessageId, int Recipients, RefusalReason? Refusal = null);

/// <summary>The client's connection ended; no more notices follow.</summary>
/// <param name="Reason">Why: the server's <c>bye</c> reason (<c>logout</c>, <c>shutdown</c>, <c>expired</c>), <c>displaced</c>,
/// <c>disposed</c>, <c>connection-lost</c>, or <c>login-refused</c> (reconnecting, the login was refused: see <see cref="ReconnectRefusedNotice"/>).
/// With <see cref="ChatClientOptions.Reconnect"/> it comes only once reconnecting has given up.</param>
public sealed record DisconnectedNotice(string Reason) : SessionNotice;

/// <summary>
/// The connection was lost and the client is about to try to reconnect (<see cref="ChatClientOptions.Reconnect"/>).
/// Commands wait for the reconnect (within <see cref="ChatClientOptions.RequestTimeout"/>); those in flight when the
/// connection was lost failed with <see cref="ChatConnectionException"/>, whether or not the server had carried them out.
/// </summary>
/// <param name="Attempt">Which attempt this is, from 1.</param>
/// <param name="Delay">How long the client waits before it (zero for the first).</param>
/// <param name="Reason">Why the connection ended (<c>connection-lost</c>, <c>shutdown</c>, <c>expired</c>) for the first attempt; why the previous attempt failed for later ones.</param>
public sealed record ReconnectingNotice(int Attempt, TimeSpan Delay, string Reason) : SessionNotice;

/// <summary>
/// The client reconnected and logged in again, as the same user with the same peer settings; notices continue. Direct
/// messages not acknowledged before the loss are handed over again, and those already shown are dropped, not shown twice.
/// </summary>
/// <param name="Server">The server now connected, as <c>host:port</c>.</param>
public sealed record ReconnectedNotice(string Server) : SessionNotice;

/// <summary>Reconnecting, the server refused the login (a changed password, a locked name or address): the client stops trying; a <see cref="DisconnectedNotice"/> with reason <c>login-refused</c> follows.</summary>
/// <param name="Result">The server's answer.</param>
public sealed record ReconnectRefusedNotice(LoginResult Result) : SessionNotice;

/// <summary>The server answered a command with an error this SDK does not turn into a result.</summary>
public sealed class ChatProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ChatProtocolException(string code, string message)
        : base(message) => Code = code;

    /// <summary>The error code (see <see cref="Protocol.ErrorCodes"/>).</summary>
    public string Code { get; }
}

/// <summary>The connection to the server failed, closed, or did not answer in time.</summary>
public sealed class ChatConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ChatConnectionException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
