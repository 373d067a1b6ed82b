using System.Collections.Concurrent;

namespace ChatRoom.Routing;

/// <summary>
/// Keeps each sender's messages in the order they were sent on their way into the store. A connection does not wait
/// for one message to be stored before reading the next, so several of one sender's messages can be checked at once; a
/// check that waits on a remote store (a block list in Redis) could let a later message reach the store first. Each
/// message takes a turn when it arrives and issues its append only after the one before it has issued its own.
/// </summary>
/// <remarks>
/// When every check finishes at once (the in-memory and SQLite stores), the turn before is always over already and
/// nothing waits. One entry per sender ever seen, so bounded by the user list.
/// </remarks>
internal sealed class SenderTurns
{
    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    /// <summary>Takes the next turn of <paramref name="sender"/>; pass it (<see cref="Turn.Pass"/>) once the append is issued, or on any way out.</summary>
    public Turn Take(string sender)
    {
        var lane = _lanes.GetOrAdd(sender, static _ => new Lane());
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = Interlocked.Exchange(ref lane.Tail, mine.Task);
        return new Turn(before, mine);
    }

    private sealed class Lane
    {
        public Task Tail = Task.CompletedTask;
    }

    /// <summary>One message's place in its sender's order.</summary>
    public readonly struct Turn(Task before, TaskCompletionSource mine)
    {
        /// <summary>Completes when every earlier message of the sender has issued its append (or was refused).</summary>
        public Task Before => before;

        /// <summary>Lets the sender's next message issue its append. Passing twice does nothing.</summary>
        public void Pass() => mine.TrySetResult();
    }
}
