using Microsoft.Extensions.Options;

namespace ChatRoom.Peer;

/// <summary>How a private message is retried before it falls back to the server. Validated at start.</summary>
public sealed class PrivateDeliveryOptions
{
    /// <summary>How long one attempt (connect, send, acknowledgement) may take. Default 2 s.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Retries after the first attempt before falling back to the server. Default 2.</summary>
    public int MaxRetryAttempts { get; set; } = 2;

    /// <summary>The first backoff delay; later ones grow exponentially, with jitter. Default 200 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest backoff delay. Default 2 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether backoff delays are randomised so that peers do not retry in lockstep. Default true.</summary>
    public bool UseJitter { get; set; } = true;
}

/// <summary>Checks <see cref="PrivateDeliveryOptions"/>.</summary>
public sealed class PrivateDeliveryOptionsValidator : IValidateOptions<PrivateDeliveryOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PrivateDeliveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.AttemptTimeout < TimeSpan.FromMilliseconds(10) || options.AttemptTimeout > TimeSpan.FromHours(24))
        {
            failures.Add($"{nameof(PrivateDeliveryOptions.AttemptTimeout)} must be from 10 ms to 24 h (was {options.AttemptTimeout}).");
        }

        if (options.MaxRetryAttempts is < 0 or > 100)
        {
            failures.Add($"{nameof(PrivateDeliveryOptions.MaxRetryAttempts)} must be from 0 to 100 (was {options.MaxRetryAttempts}).");
        }

        if (options.RetryDelay < TimeSpan.Zero || options.RetryDelay > TimeSpan.FromHours(24))
        {
            failures.Add($"{nameof(PrivateDeliveryOptions.RetryDelay)} must be from 0 to 24 h (was {options.RetryDelay}).");
        }

        if (options.MaxRetryDelay < options.RetryDelay)
        {
            failures.Add($"{nameof(PrivateDeliveryOptions.MaxRetryDelay)} must not be shorter than {nameof(PrivateDeliveryOptions.RetryDelay)}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
