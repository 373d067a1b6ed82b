using System.Net;
using System.Net.Sockets;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Peer;
using ChatRoom.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace ChatRoom.Networking.Tests.Peer;

public sealed class PeerListenerTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly PeerListener _listener;
    private readonly TcpPeerTransport _transport = new();
    private readonly PeerGrant _grant = PeerGrant.Create("seas", "columbia", Now.AddMinutes(10));
    private readonly List<MessageNotice> _received = [];
    private readonly SemaphoreSlim _arrived = new(0);

    public PeerListenerTests()
    {
        _listener = new PeerListener(IPAddress.Loopback, 0, _time);
        _ = PumpAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _transport.DisposeAsync();
        await _listener.DisposeAsync();
    }

    [Fact]
    public async Task A_message_under_a_live_grant_is_acknowledged_and_handed_on_marked_private()
    {
        _listener.Accept(_grant);

        await _transport.SendAsync(Route(_grant), Message("psst"), CancellationToken.None);

        var notice = await NextAsync();
        Assert.Equal(("seas", "columbia", "psst", MessageKind.Private), (notice.Message.From, notice.Message.To, notice.Message.Text, notice.Message.Kind));
    }

    [Fact]
    public async Task The_connection_stays_open_for_further_messages()
    {
        _listener.Accept(_grant);

        await _transport.SendAsync(Route(_grant), Message("one"), CancellationToken.None);
        await _transport.SendAsync(Route(_grant), Message("two"), CancellationToken.None);

        Assert.Equal(["one", "two"], [(await NextAsync()).Message.Text, (await NextAsync()).Message.Text]);
    }

    [Fact]
    public async Task A_forged_token_is_refused()
    {
        _listener.Accept(_grant);
        var forged = _grant with { Token = new string('0', 32) };

        await Assert.ThrowsAsync<PeerUnavailableException>(() => _transport.SendAsync(Route(forged), Message("x"), CancellationToken.None));
        Assert.Empty(_received);
    }

    [Fact]
    public async Task An_expired_grant_is_refused()
    {
        _listener.Accept(_grant);
        _time.Advance(TimeSpan.FromMinutes(10));

        await Assert.ThrowsAsync<PeerUnavailableException>(() => _transport.SendAsync(Route(_grant), Message("x"), CancellationToken.None));
    }

    [Fact]
    public async Task A_grant_presented_by_someone_other_than_its_requester_is_refused()
    {
        _listener.Accept(_grant);
        var misaddressed = _grant with { Requester = "foobar" };

        await Assert.ThrowsAsync<PeerUnavailableException>(() => _transport.SendAsync(Route(misaddressed), Message("x"), CancellationToken.None));
    }

    [Fact]
    public async Task Blocking_the_requester_revokes_the_grant_and_refuses_further_messages()
    {
        _listener.Accept(_grant);
        await _transport.SendAsync(Route(_grant), Message("before"), CancellationToken.None);
        await NextAsync();

        _listener.SetBlocked("seas", blocked: true);

        await Assert.ThrowsAsync<PeerUnavailableException>(() => _transport.SendAsync(Route(_grant), Message("after"), CancellationToken.None));
        _listener.SetBlocked("seas", blocked: false);
        await Assert.ThrowsAsync<PeerUnavailableException>(() => _transport.SendAsync(Route(_grant), Message("still revoked"), CancellationToken.None));
        Assert.Single(_received);
    }

    [Fact]
    public async Task A_repeated_message_id_is_acknowledged_again_but_shown_once()
    {
        _listener.Accept(_grant);
        var message = Message("once");

        await _transport.SendAsync(Route(_grant), message, CancellationToken.None);
        await _transport.SendAsync(Route(_grant), message, CancellationToken.None);
        await _transport.SendAsync(Route(_grant), Message("marker"), CancellationToken.None);

        Assert.Equal(["once", "marker"], [(await NextAsync()).Message.Text, (await NextAsync()).Message.Text]);
    }

    [Fact]
    public async Task Nobody_listening_is_reported_as_unavailable_never_as_delivered()
    {
        var port = _listener.Port;
        await _listener.DisposeAsync();

        await Assert.ThrowsAsync<PeerUnavailableException>(() => _transport.SendAsync(new PeerRoute("127.0.0.1", port, _grant), Message("x"), CancellationToken.None));
    }

    [Fact]
    public async Task Silent_connections_from_one_address_beyond_a_few_are_closed_at_once_and_a_real_peer_still_gets_in()
    {
        _listener.Accept(_grant);
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.7"), 0));
                await socket.ConnectAsync(IPAddress.Loopback, _listener.Port);
                silent.Add(socket);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var reads = silent.Select(s => s.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token).AsTask()).ToList();
            while (reads.Count(r => r.IsCompleted) < 20 - PeerListener.MaxPendingPerAddress)
            {
                await Task.WhenAny(reads.Where(r => !r.IsCompleted));
            }

            var closed = reads.Where(r => r.IsCompleted).ToList();
            Assert.All(closed, r => Assert.Equal(0, r.Result));

            // The four waiting for their hello hold their places; a real peer from elsewhere is not among them.
            await _transport.SendAsync(Route(_grant), Message("still here"), CancellationToken.None);
            Assert.Equal("still here", (await NextAsync()).Message.Text);
            Assert.All(reads.Except(closed), r => Assert.False(r.IsCompleted));

            _time.Advance(TimeSpan.FromSeconds(10));
            Assert.All(await Task.WhenAll(reads.Except(closed)), n => Assert.Equal(0, n));
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }
    }

    private PeerRoute Route(PeerGrant grant) => new("127.0.0.1", _listener.Port, grant);

    private ChatMessage Message(string text) => new(MessageId.New(_time), MessageKind.Private, "seas", "columbia", text, _time.GetUtcNow());

    private async Task<MessageNotice> NextAsync()
    {
        Assert.True(await _arrived.WaitAsync(TestServer.Wait), "no private message arrived");
        lock (_received)
        {
            return _received[^(_arrived.CurrentCount + 1)];
        }
    }

    private async Task PumpAsync()
    {
        await foreach (var message in _listener.Messages)
        {
            lock (_received)
            {
                _received.Add(message);
            }

            _arrived.Release();
        }
    }
}
