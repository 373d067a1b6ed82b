using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Protocol;
using ChatRoom.Sessions;

namespace ChatRoom.Client;

/// <summary>
/// A connection to a ChatRoom server. Every command is an async method with a typed result; everything the server sends
/// unasked arrives on <see cref="Notices"/>. Methods throw <see cref="ChatConnectionException"/> when the connection is gone or
/// silent, and <see cref="ChatProtocolException"/> for an error that has no typed result (e.g. a command before login).
/// </summary>
public interface IChatClient : IAsyncDisposable
{
    /// <summary>The server's greeting.</summary>
    HelloNotice ServerHello { get; }

    /// <summary>The logged-in user, or null.</summary>
    string? User { get; }

    /// <summary>
    /// Incoming messages, presence changes, consent questions and answers, in arrival order, ending with one
    /// <see cref="DisconnectedNotice"/>. Meant for one reader. A direct message counts as taken when this stream hands it
    /// over: with <see cref="ChatClientOptions.AutoAcknowledge"/> (the default) the client then acknowledges it, so the
    /// server lets it go; otherwise the application calls <see cref="Acknowledge(MessageNotice)"/>. A message the server
    /// hands over again (after a lost connection) that this stream has already handed over is acknowledged again and not
    /// shown twice. Up to <see cref="ChatClientOptions.NoticeBufferCapacity"/> notices wait here; beyond that the client
    /// stops reading from the server until the application catches up. With <see cref="ChatClientOptions.Reconnect"/>, a lost
    /// connection shows as <see cref="ReconnectingNotice"/>s and then <see cref="ReconnectedNotice"/>, and the stream goes on;
    /// it ends only when reconnecting gives up or is refused.
    /// </summary>
    IAsyncEnumerable<SessionNotice> Notices { get; }

    /// <summary>Logs in; on success the client starts sending heartbeats.</summary>
    Task<LoginResult> LoginAsync(string user, string password, CancellationToken cancellationToken = default);

    /// <summary>Sends a direct message.</summary>
    /// <exception cref="ArgumentException">The text holds a line break or control character, or the user name is malformed.</exception>
    Task<SendReceipt> SendAsync(string to, string text, CancellationToken cancellationToken = default);

    /// <summary>Sends a message to everyone online who has not blocked you.</summary>
    Task<BroadcastReceipt> BroadcastAsync(string text, CancellationToken cancellationToken = default);

    /// <summary>Who is online (those who blocked you excepted).</summary>
    Task<IReadOnlyList<string>> GetOnlineUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>Blocks a user.</summary>
    Task<BlockResult> BlockAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>Unblocks a user.</summary>
    Task<UnblockResult> UnblockAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>Asks for a user's address; the answer arrives later on <see cref="Notices"/>.</summary>
    Task<ConsentRequestResult> RequestAddressAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>Answers a user's request for your address.</summary>
    Task<ConsentAnswerResult> AnswerConsentAsync(string requester, bool allow, CancellationToken cancellationToken = default);

    /// <summary>Sends one heartbeat now (the client also sends them on its own after login).</summary>
    Task HeartbeatAsync(CancellationToken cancellationToken = default);

    /// <summary>Logs out; the server then closes the connection.</summary>
    Task LogoutAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Tells the server the application has taken the direct message <paramref name="id"/>, so it is not handed over again.
    /// Needed only with <see cref="ChatClientOptions.AutoAcknowledge"/> off. Returns at once: acknowledgements go out in
    /// batches, many ids to a line, ahead of any command sent after this call. If the connection is gone it does nothing,
    /// and the server hands the message over again at the next login.
    /// </summary>
    void Acknowledge(MessageId id);

    /// <summary>
    /// Acknowledges <paramref name="notice"/> if it is a direct message (see <see cref="Acknowledge(MessageId)"/>); broadcasts and
    /// private messages are not kept by the server, so for them this does nothing.
    /// </summary>
    void Acknowledge(MessageNotice notice);
}
