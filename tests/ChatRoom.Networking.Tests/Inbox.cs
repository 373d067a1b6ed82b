using ChatRoom.Client;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests;

/// <summary>Collects a client's notices as they arrive and lets a test wait for one, with a timeout.</summary>
internal sealed class Inbox
{
    private readonly List<SessionNotice> _received = [];
    private readonly SemaphoreSlim _arrived = new(0);

    public Inbox(IChatClient client)
        : this(client.Notices)
    {
    }

    public Inbox(IAsyncEnumerable<SessionNotice> notices) => Pump = PumpAsync(notices);

    public Task Pump { get; }

    public IReadOnlyList<SessionNotice> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Waits for the first notice of type <typeparamref name="T"/> matching <paramref name="match"/>, received at any time.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool>? match = null, TimeSpan? timeout = null)
        where T : SessionNotice
    {
        using var cts = new CancellationTokenSource(timeout ?? TestServer.Wait);
        while (true)
        {
            var found = Received.OfType<T>().FirstOrDefault(n => match?.Invoke(n) ?? true);
            if (found is not null)
            {
                return found;
            }

            try
            {
                await _arrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No {typeof(T).Name} arrived; got: {string.Join(" | ", Received)}");
            }
        }
    }

    public IEnumerable<T> OfType<T>() => Received.OfType<T>();

    private async Task PumpAsync(IAsyncEnumerable<SessionNotice> notices)
    {
        await foreach (var notice in notices)
        {
            lock (_received)
            {
                _received.Add(notice);
            }

            _arrived.Release();
        }
    }
}
