using ChatRoom.Events;
using ChatRoom.Presence;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace ChatRoom.Core.Tests;

/// <summary>The real core wired by DI, with a fake clock, a substitute outbox and a recording event sink.</summary>
internal sealed class CoreHarness : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _provider;

    private CoreHarness(Action<ChatRoomOptions>? configure, Action<IServiceCollection>? extra)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton(Outbox);
        services.AddSingleton<IChatEventSink>(Events);
        services.AddChatRoomCredentials(
        [
            new("columbia", "116bway"),
            new("seas", "summerisover"),
            new("csee4119", "lotsofexams"),
            new("foobar", "passpass"),
        ]);
        extra?.Invoke(services);
        services.AddChatRoomCore(configure);
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        Outbox.TryPost(default, default!).ReturnsForAnyArgs(true);
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public ISessionOutbox Outbox { get; } = Substitute.For<ISessionOutbox>();

    public RecordingSink Events { get; } = new();

    public static CoreHarness Create(Action<ChatRoomOptions>? configure = null, Action<IServiceCollection>? services = null) => new(configure, services);

    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    public async Task<SessionInfo> OnlineAsync(string user, int? peerPort = 40000, string address = "10.0.0.1")
        => (await Get<IPresenceService>().LoginAsync(user, address, peerPort)).Session;

    /// <summary>Every notice posted to <paramref name="session"/>, in order.</summary>
    public List<SessionNotice> NoticesFor(SessionInfo session)
        => [.. Outbox.ReceivedCalls()
            .Select(c => c.GetArguments())
            .Where(a => (SessionId)a[0]! == session.Id)
            .Select(a => (SessionNotice)a[1]!)];

    public void Dispose() => _provider.Dispose();
}

internal sealed class RecordingSink : IChatEventSink
{
    private readonly List<ChatEvent> _events = [];

    public IReadOnlyList<ChatEvent> All
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public IEnumerable<T> OfType<T>() => All.OfType<T>();

    public void OnEvent(ChatEvent chatEvent)
    {
        lock (_events)
        {
            _events.Add(chatEvent);
        }
    }
}
