namespace ChatRoom.Server;

/// <summary>
/// One connection's rate limits: a bucket for every line (<see cref="ChatServerOptions.CommandsPerSecond"/>), one for
/// messages (<see cref="ChatServerOptions.MessagesPerSecond"/>), and one for refusals
/// (<see cref="ChatServerOptions.MaxRefusedLines"/> in 10 s) past which the connection is cut. Owned by the connection and
/// asked only from its read loop, so nothing here is shared with any other client.
/// </summary>
internal sealed class SessionLimits(ChatServerOptions options, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan s_refusalWindow = TimeSpan.FromSeconds(10);
    private readonly TokenBucketLimiter _lines = new(options.CommandsPerSecond, options.CommandsPerSecond, time);
    private readonly TokenBucketLimiter _messages = new(options.MessagesPerSecond, options.MessagesPerSecond, time);
    private readonly TokenBucketLimiter _refusals = new(options.MaxRefusedLines, options.MaxRefusedLines / s_refusalWindow.TotalSeconds, time);
    private long _now;

    /// <summary>Whether the last line was refused: a run of refusals is logged once, at its start.</summary>
    public bool Limiting { get; private set; }

    /// <summary>Takes a token for one line of any kind.</summary>
    public bool TryTakeLine(out TimeSpan retryAfter)
    {
        // One clock read per line serves both buckets.
        _now = time.GetTimestamp();
        return Note(_lines.TryTake(_now, out retryAfter));
    }

    /// <summary>Takes a token for one message; asked after <see cref="TryTakeLine"/> for the same line.</summary>
    public bool TryTakeMessage(out TimeSpan retryAfter) => Note(_messages.TryTake(_now, out retryAfter));

    /// <summary>Counts a refused line; false once there have been too many, and the connection should be cut.</summary>
    public bool TryRefuse() => _refusals.TryTake(_now, out _);

    /// <inheritdoc />
    public void Dispose()
    {
        _lines.Dispose();
        _messages.Dispose();
        _refusals.Dispose();
    }

    private bool Note(bool taken)
    {
        Limiting = !taken;
        return taken;
    }
}
