using Microsoft.Extensions.Options;

namespace ChatRoom;

/// <summary>Checks <see cref="ChatRoomOptions"/> so that a bad value fails at start with a message naming it.</summary>
public sealed class ChatRoomOptionsValidator : IValidateOptions<ChatRoomOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ChatRoomOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxFailedLogins < 1)
        {
            failures.Add($"{nameof(ChatRoomOptions.MaxFailedLogins)} must be at least 1 (was {options.MaxFailedLogins}).");
        }

        RequirePositive(failures, nameof(ChatRoomOptions.LockoutDuration), options.LockoutDuration);
        RequireAtLeastOne(failures, nameof(ChatRoomOptions.MaxFailedLoginsPerAddress), options.MaxFailedLoginsPerAddress);
        RequirePositive(failures, nameof(ChatRoomOptions.FailedLoginWindow), options.FailedLoginWindow);
        RequireAtLeastOne(failures, nameof(ChatRoomOptions.AccountSlowdownAfter), options.AccountSlowdownAfter);
        RequirePositive(failures, nameof(ChatRoomOptions.AccountSlowdown), options.AccountSlowdown);
        if (options.AccountSlowdown > MaxAccountSlowdown)
        {
            failures.Add($"{nameof(ChatRoomOptions.AccountSlowdown)} must be at most {MaxAccountSlowdown.TotalSeconds} s, so the owner is never kept out long (was {options.AccountSlowdown}).");
        }

        RequireAtLeastOne(failures, nameof(ChatRoomOptions.MaxConcurrentPasswordChecks), options.MaxConcurrentPasswordChecks);
        RequireAtLeastOne(failures, nameof(ChatRoomOptions.MaxPendingLoginsPerAddress), options.MaxPendingLoginsPerAddress);
        RequirePositive(failures, nameof(ChatRoomOptions.HeartbeatTimeout), options.HeartbeatTimeout);
        RequirePositive(failures, nameof(ChatRoomOptions.ConsentTimeout), options.ConsentTimeout);
        RequirePositive(failures, nameof(ChatRoomOptions.PeerGrantLifetime), options.PeerGrantLifetime);
        if (options.MaxMessageBytes < 1)
        {
            failures.Add($"{nameof(ChatRoomOptions.MaxMessageBytes)} must be at least 1 (was {options.MaxMessageBytes}).");
        }

        if (options.DeliveryWindow < 1)
        {
            failures.Add($"{nameof(ChatRoomOptions.DeliveryWindow)} must be at least 1 (was {options.DeliveryWindow}).");
        }

        if (options.MaxMailboxMessages < 1)
        {
            failures.Add($"{nameof(ChatRoomOptions.MaxMailboxMessages)} must be at least 1 (was {options.MaxMailboxMessages}).");
        }

        if (options.MaxMailboxBytes < options.MaxMessageBytes)
        {
            failures.Add($"{nameof(ChatRoomOptions.MaxMailboxBytes)} must be at least {nameof(ChatRoomOptions.MaxMessageBytes)} ({options.MaxMessageBytes}), or a box could not take one full-size message (was {options.MaxMailboxBytes}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static readonly TimeSpan MaxAccountSlowdown = TimeSpan.FromMinutes(1);

    private static void RequireAtLeastOne(List<string> failures, string name, int value)
    {
        if (value < 1)
        {
            failures.Add($"{name} must be at least 1 (was {value}).");
        }
    }

    private static void RequirePositive(List<string> failures, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{name} must be greater than zero (was {value}).");
        }
    }
}
