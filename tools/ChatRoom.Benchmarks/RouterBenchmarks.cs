using BenchmarkDotNet.Attributes;
using ChatRoom.Messaging;
using ChatRoom.Presence;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Benchmarks;

/// <summary>
/// <see cref="IMessageRouter.SendAsync"/> through the public DI surface (<c>AddChatRoomCore</c>, in-memory store), with
/// the recipient online on a connection that takes every notice. Each operation sends one message and acknowledges it,
/// as the recipient's client would, so the store and the delivery window stay in a steady state.
/// </summary>
[MemoryDiagnoser]
public class RouterBenchmarks
{
    private readonly MessageId[] _ack = new MessageId[1];
    private ServiceProvider _provider = null!;
    private IMessageRouter _router = null!;
    private ISessionManager _sessions = null!;
    private ChatSession _bob = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var services = new ServiceCollection()
            .AddChatRoomCore()
            .AddChatRoomCredentials([new("alice", "pw-alice"), new("bob", "pw-bob")]);
        _provider = services.BuildServiceProvider();
        _router = _provider.GetRequiredService<IMessageRouter>();
        _sessions = _provider.GetRequiredService<ISessionManager>();
        var login = await _sessions.LoginAsync(new DiscardingConnection(), "bob", "pw-bob").ConfigureAwait(false);
        _bob = login.Session ?? throw new InvalidOperationException($"bob could not log in: {login.Result}");
        await _sessions.StartAsync(_bob).ConfigureAwait(false);
    }

    [GlobalCleanup]
    public ValueTask CleanupAsync() => _provider.DisposeAsync();

    [Benchmark]
    public async Task<SendOutcome> Send_to_an_online_user_and_acknowledge()
    {
        var sent = await _router.SendAsync("alice", "bob", Samples.Text64).ConfigureAwait(false);
        if (sent.Outcome != SendOutcome.Delivered)
        {
            throw new InvalidOperationException($"expected delivered, got {sent.Outcome}");
        }

        _ack[0] = sent.Message!.Id;
        await _sessions.AcknowledgeAsync(_bob, _ack).ConfigureAwait(false);
        return sent.Outcome;
    }

    /// <summary>A client that reads everything at once: notices are taken and dropped.</summary>
    internal sealed class DiscardingConnection : ISessionConnection
    {
        public string RemoteAddress => "127.0.0.1";

        public PostOutcome TryPost(SessionNotice notice) => PostOutcome.Queued;

        public void Close(SessionEnd end)
        {
        }
    }
}
