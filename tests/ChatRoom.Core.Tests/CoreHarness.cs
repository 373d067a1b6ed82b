using ChatRoom.Events;
using ChatRoom.Presence;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using System.Collections.Concurrent;

namespace ChatRoom.Core.Tests;

/// <summary>The real core wired by DI, with a fake clock, recording connections and a recording event sink.</summary>
internal sealed class CoreHarness : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly IReadOnlyDictionary<string, string> Passwords = new Dictionary<string, string>
    {
        ["columbia"] = "116bway",
        ["seas"] = "summerisover",
        ["csee4119"] = "lotsofexams",
        ["foobar"] = "passpass",
    };

    private readonly ServiceProvider _provider;
    private readonly ConcurrentDictionary<SessionId, ChatSession> _sessions = new();

    private CoreHarness(Action<ChatRoomOptions>? configure, Action<IServiceCollection>? extra, FakeTimeProvider? time = null)
    {
        Time = time ?? new FakeTimeProvider(Start);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<IChatEventSink>(Events);
        services.AddChatRoomCredentials(Passwords);
        extra?.Invoke(services);
        services.AddChatRoomCore(configure);
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public FakeTimeProvider Time { get; }

    public RecordingSink Events { get; } = new();

    public ISessionManager Sessions => Get<ISessionManager>();

    public static CoreHarness Create(Action<ChatRoomOptions>? configure = null, Action<IServiceCollection>? services = null) => new(configure, services);

    /// <summary>A core on the clock of another (a second node of a cluster in tests).</summary>
    public static CoreHarness Create(FakeTimeProvider time, Action<ChatRoomOptions>? configure, Action<IServiceCollection> services) => new(configure, services, time);

    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    /// <summary>Logs <paramref name="user"/> in through the session engine on a recording connection and starts delivery.</summary>
    public async Task<SessionInfo> OnlineAsync(string user, int? peerPort = 40000, string address = "10.0.0.1", string? peerAddress = null, RecordingConnection? connection = null, string? peerPin = null)
    {
        connection ??= new RecordingConnection(address);
        var login = await Sessions.LoginAsync(connection, user, Passwords[user], peerPort, peerAddress, peerPin);
        var session = Assert.IsType<ChatSession>(login.Session);
        _sessions[session.Id] = session;
        await Sessions.StartAsync(session);
        return session.Info;
    }

    /// <summary>Records a new session of <paramref name="user"/> in presence alone, as another login would, without a connection.</summary>
    public ValueTask<PresenceLogin> PresenceLoginAsync(string user, string address, int? peerPort)
    {
        var now = Time.GetUtcNow();
        return Get<IPresenceService>().LoginAsync(new SessionInfo(SessionId.New(), user, address, peerPort, now, now));
    }

    public ChatSession Session(SessionInfo info) => _sessions[info.Id];

    public RecordingConnection ConnectionOf(SessionInfo info) => (RecordingConnection)Session(info).Connection;

    /// <summary>Every notice but presence posted to <paramref name="session"/>, in order.</summary>
    public List<SessionNotice> NoticesFor(SessionInfo session) => [.. ConnectionOf(session).Notices.Where(n => n is not PresenceNotice)];

    /// <summary>The presence notices posted to <paramref name="session"/>, in order.</summary>
    public List<PresenceNotice> PresenceFor(SessionInfo session) => [.. ConnectionOf(session).Notices.OfType<PresenceNotice>()];

    /// <summary>The direct and broadcast messages posted to <paramref name="session"/>, in order.</summary>
    public List<MessageNotice> MessagesFor(SessionInfo session) => [.. ConnectionOf(session).Notices.OfType<MessageNotice>()];

    public void Dispose() => _provider.Dispose();
}

/// <summary>A connection that records what is posted to it; <see cref="Outcome"/> decides what posting returns.</summary>
internal sealed class RecordingConnection(string remoteAddress = "10.0.0.1") : ISessionConnection
{
    private readonly List<SessionNotice> _notices = [];

    public string RemoteAddress { get; } = remoteAddress;

    /// <summary>What the next posts return; anything but Queued drops the notice.</summary>
    public Func<SessionNotice, PostOutcome> Outcome { get; set; } = _ => PostOutcome.Queued;

    public SessionEnd? ClosedWith { get; private set; }

    public IReadOnlyList<SessionNotice> Notices
    {
        get
        {
            lock (_notices)
            {
                return [.. _notices];
            }
        }
    }

    public PostOutcome TryPost(SessionNotice notice)
    {
        var outcome = Outcome(notice);
        if (outcome == PostOutcome.Queued)
        {
            lock (_notices)
            {
                _notices.Add(notice);
            }
        }

        return outcome;
    }

    public void Close(SessionEnd end) => ClosedWith = end;
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
