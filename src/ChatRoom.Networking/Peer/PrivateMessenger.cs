using System.Collections.Concurrent;
using ChatRoom.Client;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Sessions;
using Polly;

namespace ChatRoom.Peer;

/// <summary>
/// Private messages with guaranteed delivery: each goes straight to the peer through the resilience pipeline (timeout per
/// attempt, retries with backoff) and, if the peer never acknowledges, through the server instead.
/// </summary>
public sealed class PrivateMessenger : IPrivateChannel
{
    /// <summary>The key of the pipeline registered by <see cref="PrivateDeliveryServiceCollectionExtensions.AddChatRoomPrivateDelivery"/>.</summary>
    public const string PipelineKey = "chatroom-private-delivery";

    internal static readonly ResiliencePropertyKey<PrivateSend> SendKey = new("chatroom.private-send");

    private readonly ConcurrentDictionary<string, PeerRoute> _routes = new(StringComparer.Ordinal);
    private readonly IChatClient _server;
    private readonly IPeerTransport _transport;
    private readonly ResiliencePipeline<PrivateDelivery> _pipeline;
    private readonly PeerListener? _listener;
    private readonly TimeProvider _time;

    /// <summary>Creates the messenger.</summary>
    /// <param name="server">The logged-in client, used for the fallback.</param>
    /// <param name="transport">Carries messages to peers.</param>
    /// <param name="pipeline">The delivery pipeline (see <see cref="PipelineKey"/>).</param>
    /// <param name="listener">This client's listener for incoming private chats, or null if it accepts none.</param>
    /// <param name="timeProvider">The clock that stamps messages.</param>
    public PrivateMessenger(IChatClient server, IPeerTransport transport, ResiliencePipeline<PrivateDelivery> pipeline, PeerListener? listener, TimeProvider timeProvider)
    {
        _server = server ?? throw new ArgumentNullException(nameof(server));
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _listener = listener;
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <inheritdoc />
    public void Grant(AddressGrantedNotice granted)
    {
        ArgumentNullException.ThrowIfNull(granted);
        _routes[granted.Grant.Target] = new PeerRoute(granted.Address, granted.Port, granted.Grant) { PeerPin = granted.PeerPin };
    }

    /// <inheritdoc />
    public void Accept(PeerGrant grant) => _listener?.Accept(grant);

    /// <inheritdoc />
    public void Blocked(string user, bool blocked) => _listener?.SetBlocked(user, blocked);

    /// <inheritdoc />
    public async Task<PrivateDelivery?> SendAsync(string user, string text, CancellationToken cancellationToken = default)
    {
        if (!_routes.TryGetValue(user, out var route))
        {
            return null;
        }

        var message = new ChatMessage(MessageId.New(_time), MessageKind.Private, route.Grant.Requester, user, text, _time.GetUtcNow());
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(SendKey, new PrivateSend(message, route, _transport, _server));
            return await _pipeline.ExecuteAsync(
                static async (ctx, send) =>
                {
                    await send.Transport.SendAsync(send.Route, send.Message, ctx.CancellationToken).ConfigureAwait(false);
                    return new PrivateDelivery(PrivateRoute.Peer, send.Message.Id);
                },
                context,
                context.Properties.GetValue(SendKey, null!)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>One private send as the pipeline's strategies see it.</summary>
    internal sealed record PrivateSend(ChatMessage Message, PeerRoute Route, IPeerTransport Transport, IChatClient Server);
}
