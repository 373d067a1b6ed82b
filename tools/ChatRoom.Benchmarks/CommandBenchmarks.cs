using System.Buffers;
using BenchmarkDotNet.Attributes;
using ChatRoom.Blocking;
using ChatRoom.Consent;
using ChatRoom.Protocol;
using ChatRoom.Protocol.Commands;
using ChatRoom.Routing;
using ChatRoom.Server.Diagnostics;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatRoom.Benchmarks;

/// <summary>
/// An <c>ack</c> line of 128 ids carried out by its handler after parsing, against the real core (in-memory store, the
/// ids unknown, so the store has nothing to remove): what reading the ids out of the line costs.
/// </summary>
[MemoryDiagnoser]
public class CommandBenchmarks
{
    private readonly byte[] _ackLine = Samples.Bytes(Samples.AckLine);
    private ServiceProvider _provider = null!;
    private CommandServices _services = null!;
    private ChatSession _bob = null!;
    private ISessionConnection _connection = null!;
    private readonly ChatServerMetrics _metrics = new(meterFactory: null);

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _provider = new ServiceCollection()
            .AddChatRoomCore()
            .AddChatRoomCredentials([new("bob", "pw-bob")])
            .BuildServiceProvider();
        var sessions = _provider.GetRequiredService<ISessionManager>();
        _services = new CommandServices(
            sessions,
            _provider.GetRequiredService<IMessageRouter>(),
            _provider.GetRequiredService<IBlacklistService>(),
            _provider.GetRequiredService<IConsentService>(),
            _provider.GetRequiredService<IOptionsMonitor<ChatRoomOptions>>(),
            _metrics);
        _connection = new RouterBenchmarks.DiscardingConnection();
        _bob = (await sessions.LoginAsync(_connection, "bob", "pw-bob").ConfigureAwait(false)).Session!;
        await sessions.StartAsync(_bob).ConfigureAwait(false);
    }

    [GlobalCleanup]
    public ValueTask CleanupAsync()
    {
        _metrics.Dispose();
        return _provider.DisposeAsync();
    }

    [Benchmark]
    public async Task<object?> Ack_128_ids_parsed_and_handled()
    {
        if (!CommandParser.TryParse(new ReadOnlySequence<byte>(_ackLine), out var command, out var error))
        {
            throw new InvalidOperationException(error.Text);
        }

        var outcome = await command.Definition.HandleAsync(new CommandRequest(command, _bob, _connection, _services), default).ConfigureAwait(false);
        return outcome.Reply is null ? outcome : throw new InvalidOperationException($"ack refused: {outcome.Reply.Text}");
    }
}
