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
/// <param name="Reason">Why: the server's <c>bye</c> reason (<c>logout</c>, <c>shutdown</c>, <c>expired</c>), <c>displaced</c>, <c>disposed</c> or <c>connection-lost</c>.</param>
public sealed record DisconnectedNotice(string Reason) : SessionNotice;

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
