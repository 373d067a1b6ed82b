using ChatRoom.Blocking;
using ChatRoom.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Core.Tests.Routing;

/// <summary>
/// With a block list in a remote store, a broadcast and an online list ask every check before waiting for any answer:
/// one round trip for all recipients, not one per recipient.
/// </summary>
public sealed class RemoteBlockListTests : IDisposable
{
    private readonly GatedBlockList _blocks = new();
    private readonly CoreHarness _core;

    public RemoteBlockListTests() => _core = CoreHarness.Create(services: s => s.AddSingleton<IBlockListStore>(_blocks));

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task A_broadcast_asks_every_recipients_block_list_at_once_and_still_skips_the_blocker()
    {
        _blocks.Open();
        var seas = await _core.OnlineAsync("seas");
        var columbia = await _core.OnlineAsync("columbia");
        var foobar = await _core.OnlineAsync("foobar");
        var exams = await _core.OnlineAsync("csee4119");
        _blocks.Blocked.Add(("foobar", "seas"));
        _blocks.Close();

        var broadcast = _core.Get<IMessageRouter>().BroadcastAsync("seas", "all at once").AsTask();

        await _blocks.WaitForWaitingAsync(3);
        Assert.False(broadcast.IsCompleted);
        _blocks.Open();
        var result = await broadcast.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, result.Recipients);
        Assert.Single(_core.MessagesFor(columbia));
        Assert.Single(_core.MessagesFor(exams));
        Assert.Empty(_core.MessagesFor(foobar));
        Assert.Empty(_core.MessagesFor(seas));
    }

    [Fact]
    public async Task The_online_list_asks_every_check_at_once_and_still_hides_the_blocker()
    {
        _blocks.Open();
        var seas = await _core.OnlineAsync("seas");
        await _core.OnlineAsync("columbia");
        await _core.OnlineAsync("foobar");
        _blocks.Blocked.Add(("foobar", "seas"));
        _blocks.Close();

        var online = _core.Sessions.GetOnlineUsersAsync(_core.Session(seas)).AsTask();

        await _blocks.WaitForWaitingAsync(3);
        _blocks.Open();
        Assert.Equal(["columbia", "seas"], await online.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>A block list whose lookups wait while it is closed, counting those waiting.</summary>
    private sealed class GatedBlockList : IBlockListStore
    {
        private readonly SemaphoreSlim _waiting = new(0);
        private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HashSet<(string Owner, string Target)> Blocked { get; } = [];

        public void Open() => _gate.TrySetResult();

        public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task WaitForWaitingAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Assert.True(await _waiting.WaitAsync(TimeSpan.FromSeconds(10)), $"only {i} of {count} lookups were asked before the first answer");
            }
        }

        public async ValueTask<bool> ContainsAsync(string owner, string target, CancellationToken cancellationToken = default)
        {
            var gate = _gate.Task;
            if (!gate.IsCompleted)
            {
                _waiting.Release();
                await gate;
            }

            return Blocked.Contains((owner, target));
        }

        public ValueTask<bool> AddAsync(string owner, string target, CancellationToken cancellationToken = default) => ValueTask.FromResult(Blocked.Add((owner, target)));

        public ValueTask<bool> RemoveAsync(string owner, string target, CancellationToken cancellationToken = default) => ValueTask.FromResult(Blocked.Remove((owner, target)));

        public ValueTask<IReadOnlyCollection<string>> ListAsync(string owner, CancellationToken cancellationToken = default)
            => ValueTask.FromResult<IReadOnlyCollection<string>>([.. Blocked.Where(b => b.Owner == owner).Select(b => b.Target)]);
    }
}
