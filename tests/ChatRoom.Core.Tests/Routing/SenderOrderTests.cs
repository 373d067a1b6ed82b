using ChatRoom.Blocking;
using ChatRoom.Offline;
using ChatRoom.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Core.Tests.Routing;

/// <summary>
/// A sender's messages reach the store in the order they were sent, even when checking the block list waits on a remote
/// store and the checks finish in another order (a connection does not wait for one message before reading the next).
/// </summary>
public sealed class SenderOrderTests : IDisposable
{
    private readonly SlowFirstBlockList _blocks = new();
    private readonly CoreHarness _core;

    public SenderOrderTests() => _core = CoreHarness.Create(services: s => s.AddSingleton<IBlockListStore>(_blocks));

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task A_later_message_whose_check_finishes_first_still_waits_for_the_earlier_one()
    {
        var router = _core.Get<IMessageRouter>();

        var first = router.SendAsync("seas", "columbia", "first").AsTask();
        var second = router.SendAsync("seas", "columbia", "second").AsTask();
        var third = router.SendAsync("seas", "columbia", "third").AsTask();

        Assert.False(second.IsCompleted); // its check is done, but the first has not been stored yet
        _blocks.ReleaseFirst();
        await Task.WhenAll(first, second, third).WaitAsync(TimeSpan.FromSeconds(10));

        var stored = await _core.Get<IOfflineStore>().ReadAsync("columbia", 0, 10);
        Assert.Equal(["first", "second", "third"], stored.Select(m => m.Message.Text));
        Assert.Equal([1L, 2L, 3L], stored.Select(m => m.Sequence));
    }

    [Fact]
    public async Task A_refused_message_does_not_hold_up_the_next_one()
    {
        var router = _core.Get<IMessageRouter>();
        _blocks.ReleaseFirst();

        var refused = await router.SendAsync("seas", "nobody", "to no one");
        var sent = await router.SendAsync("seas", "columbia", "after").AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(RefusalReason.UnknownUser, refused.Refusal);
        Assert.Equal(SendOutcome.StoredOffline, sent.Outcome);
    }

    [Fact]
    public async Task Other_senders_do_not_wait_for_a_slow_check_of_someone_else()
    {
        var router = _core.Get<IMessageRouter>();

        var slow = router.SendAsync("seas", "columbia", "slow").AsTask();
        var other = await router.SendAsync("foobar", "columbia", "quick").AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(SendOutcome.StoredOffline, other.Outcome);
        Assert.False(slow.IsCompleted);
        _blocks.ReleaseFirst();
        await slow.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>The first lookup waits until released; every later one answers at once (nobody has blocked anyone).</summary>
    private sealed class SlowFirstBlockList : IBlockListStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public void ReleaseFirst() => _gate.TrySetResult();

        public async ValueTask<bool> ContainsAsync(string owner, string target, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                await _gate.Task;
            }

            return false;
        }

        public ValueTask<bool> AddAsync(string owner, string target, CancellationToken cancellationToken = default) => ValueTask.FromResult(true);

        public ValueTask<bool> RemoveAsync(string owner, string target, CancellationToken cancellationToken = default) => ValueTask.FromResult(true);

        public ValueTask<IReadOnlyCollection<string>> ListAsync(string owner, CancellationToken cancellationToken = default) => ValueTask.FromResult<IReadOnlyCollection<string>>([]);
    }
}
