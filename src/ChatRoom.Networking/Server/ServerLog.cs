using Microsoft.Extensions.Logging;

namespace ChatRoom.Server;

/// <summary>The server's own log lines (domain events are logged by <see cref="LoggingEventSink"/>).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, System.Net.EndPoint endPoint);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Connection from {Connection}")]
    public static partial void Accepted(ILogger logger, string connection);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Connection {Connection} closed")]
    public static partial void Closed(ILogger logger, string connection);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "Protocol error from {Connection} (user {User}): {Code} (verb {Verb}, {Length} characters)")]
    public static partial void ProtocolError(ILogger logger, string connection, string user, string code, string verb, int length);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Disconnected slow reader {Connection} (user {User}): {Capacity} lines waiting")]
    public static partial void SlowReaderDisconnected(ILogger logger, string connection, string user, int capacity);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "Command {Command} from {Connection} failed")]
    public static partial void CommandFailed(ILogger logger, Exception exception, string command, string connection);

    [LoggerMessage(EventId = 120, Level = LogLevel.Error, Message = "Command {Command} from {Connection} failed: the store could not be reached ({Unlogged} more store failures since the last one logged; at most one is logged every 10 s)")]
    public static partial void StoreFailed(ILogger logger, Exception exception, string command, string connection, int unlogged);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Shutting down: telling {Count} connected clients")]
    public static partial void ShuttingDown(ILogger logger, int count);

    [LoggerMessage(EventId = 107, Level = LogLevel.Error, Message = "Connection {Connection} failed")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception, string connection);

    [LoggerMessage(EventId = 108, Level = LogLevel.Error, Message = "Presence sweep failed")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 121, Level = LogLevel.Error, Message = "Presence sweep failed: the store could not be reached ({Unlogged} more such failures since the last one logged; at most one is logged every 10 s)")]
    public static partial void SweepStoreFailed(ILogger logger, Exception exception, int unlogged);

    [LoggerMessage(EventId = 109, Level = LogLevel.Error, Message = "Accepting connections failed ({Error}); pausing {PauseMs} ms before trying again")]
    public static partial void AcceptFailed(ILogger logger, System.Net.Sockets.SocketError error, double pauseMs);

    // Information: on many hosts the default is lowered a little at every start; the operator needs to know, not to act.
    [LoggerMessage(EventId = 116, Level = LogLevel.Information, Message = "MaxConnections lowered from {Configured} to {Effective}: this process may open {OpenFiles} files and keeps {Reserve} for itself (raise it with ulimit -n)")]
    public static partial void ConnectionCapLowered(ILogger logger, int configured, int effective, long openFiles, int reserve);

    [LoggerMessage(EventId = 115, Level = LogLevel.Debug, Message = "A connection went away before it was accepted ({Error})")]
    public static partial void AcceptReset(ILogger logger, System.Net.Sockets.SocketError error);

    // Debug: anyone can cause one per connection, so it must not flood the log at a level that is on by default.
    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "TLS refused for {Connection}: {Reason}")]
    public static partial void TlsHandshakeFailed(ILogger logger, string connection, string reason);
    [LoggerMessage(EventId = 114, Level = LogLevel.Debug, Message = "Closed {Connection}: no login within {Seconds} s")]
    public static partial void LoginTimedOut(ILogger logger, string connection, double seconds);

    [LoggerMessage(EventId = 111, Level = LogLevel.Debug, Message = "Refused connection {Connection}: too many connections ({Scope} limit {Limit})")]
    public static partial void ConnectionRefused(ILogger logger, string connection, string scope, int limit);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Rate-limiting {Connection} (user {User}): over the {Limit} limit; further refusals are not logged until it slows down")]
    public static partial void RateLimited(ILogger logger, string connection, string user, string limit);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "Disconnected flooder {Connection} (user {User}): more than {Refused} lines refused within 10 s")]
    public static partial void FlooderDisconnected(ILogger logger, string connection, string user, int refused);
}
