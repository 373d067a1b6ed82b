namespace ChatRoom.Client;

/// <summary>
/// How a <see cref="ChatClient"/> reconnects after losing a logged-in session (<see cref="ChatClientOptions.Reconnect"/>):
/// the first attempt at once, then exponential backoff with jitter up to <see cref="MaxDelay"/>, until an attempt logs
/// in again, the login is refused, <see cref="MaxAttempts"/> attempts failed, or <see cref="GiveUpAfter"/> has passed.
/// </summary>
public sealed record ChatClientReconnectOptions
{
    /// <summary>The typical wait before the second attempt; each later wait about doubles, jittered so that clients of a lost node do not return in step. Default 1 s.</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts. Default 30 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many attempts at most, the first included; null for no limit but <see cref="GiveUpAfter"/>. Default null.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>How long after losing the connection to stop trying and end <see cref="IChatClient.Notices"/> as lost. Default 5 minutes.</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        // Polly's retry accepts delays up to a day.
        if (FirstDelay < TimeSpan.Zero || FirstDelay > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"{nameof(ChatClientOptions.Reconnect)}.{nameof(FirstDelay)} must be from 0 to 1 day (was {FirstDelay}).", nameof(FirstDelay));
        }

        if (MaxDelay < FirstDelay || MaxDelay > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"{nameof(ChatClientOptions.Reconnect)}.{nameof(MaxDelay)} must be from {nameof(FirstDelay)} to 1 day (was {MaxDelay}).", nameof(MaxDelay));
        }

        if (MaxAttempts is < 1)
        {
            throw new ArgumentException($"{nameof(ChatClientOptions.Reconnect)}.{nameof(MaxAttempts)} must be at least 1 (was {MaxAttempts}).", nameof(MaxAttempts));
        }

        if (GiveUpAfter <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(ChatClientOptions.Reconnect)}.{nameof(GiveUpAfter)} must be greater than zero (was {GiveUpAfter}).", nameof(GiveUpAfter));
        }
    }
}
