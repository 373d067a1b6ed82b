using System.Net;
using Microsoft.Extensions.Options;

namespace ChatRoom.Server;

/// <summary>Settings of the TCP server. Validated at start by <see cref="ChatServerOptionsValidator"/>.</summary>
public sealed class ChatServerOptions
{
    /// <summary>The address to listen on. Default <see cref="IPAddress.Any"/>.</summary>
    public IPAddress Address { get; set; } = IPAddress.Any;

    /// <summary>The TCP port; 0 picks a free one (see <see cref="ChatServer.LocalEndPoint"/>). Default 5566.</summary>
    public int Port { get; set; } = 5566;

    /// <summary>The name in the greeting. Default <c>ChatRoom</c>.</summary>
    public string ServerName { get; set; } = "ChatRoom";

    /// <summary>Longest line a client may send, in bytes, newline excluded. Default 8192 (8 KiB).</summary>
    public int MaxLineBytes { get; set; } = 8192;

    /// <summary>
    /// Lines that may wait to be sent to one client; a client that lets it fill is disconnected. Default 1024. Direct
    /// messages never fill it on their own (at most <see cref="ChatRoomOptions.DeliveryWindow"/> are out unacknowledged);
    /// what fills it is a client that stops reading while replies, presence and broadcasts keep coming.
    /// </summary>
    public int OutboundQueueCapacity { get; set; } = 1024;

    /// <summary>Connections the operating system may queue before the server accepts them. Default 512: a burst of logins.</summary>
    public int ListenBacklog { get; set; } = 512;

    /// <summary>
    /// The heartbeat interval announced to clients. Default null: 30 s, or less when the core's
    /// <see cref="ChatRoomOptions.HeartbeatTimeout"/> is short, so that two and a half beats fit in the timeout.
    /// </summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    internal TimeSpan EffectiveHeartbeatInterval(ChatRoomOptions core)
        => HeartbeatInterval ?? TimeSpan.FromMilliseconds(Math.Min(30_000, Math.Floor(core.HeartbeatTimeout.TotalMilliseconds / 2.5)));

    /// <summary>How often the presence sweep looks for silent sessions. Default 1 s.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a graceful stop waits for clients to be told and closed. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Checks <see cref="ChatServerOptions"/> against itself and against the core's heartbeat timeout.</summary>
public sealed class ChatServerOptionsValidator : IValidateOptions<ChatServerOptions>
{
    private readonly IOptionsMonitor<ChatRoomOptions> _core;

    /// <summary>Creates the validator.</summary>
    public ChatServerOptionsValidator(IOptionsMonitor<ChatRoomOptions> core) => _core = core;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ChatServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Address is null)
        {
            failures.Add($"{nameof(ChatServerOptions.Address)} is required.");
        }

        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"{nameof(ChatServerOptions.Port)} must be from 0 to 65535 (was {options.Port}).");
        }

        if (string.IsNullOrWhiteSpace(options.ServerName) || options.ServerName.Any(char.IsWhiteSpace))
        {
            failures.Add($"{nameof(ChatServerOptions.ServerName)} must be one word.");
        }

        if (options.MaxLineBytes < 256)
        {
            failures.Add($"{nameof(ChatServerOptions.MaxLineBytes)} must be at least 256 (was {options.MaxLineBytes}).");
        }

        if (options.OutboundQueueCapacity < 16)
        {
            failures.Add($"{nameof(ChatServerOptions.OutboundQueueCapacity)} must be at least 16 (was {options.OutboundQueueCapacity}).");
        }

        if (options.OutboundQueueCapacity <= _core.CurrentValue.DeliveryWindow)
        {
            failures.Add($"{nameof(ChatServerOptions.OutboundQueueCapacity)} ({options.OutboundQueueCapacity}) must be larger than {nameof(ChatRoomOptions.DeliveryWindow)} ({_core.CurrentValue.DeliveryWindow}), or a full window would cut a client that reads.");
        }

        if (options.ListenBacklog < 1)
        {
            failures.Add($"{nameof(ChatServerOptions.ListenBacklog)} must be at least 1 (was {options.ListenBacklog}).");
        }

        if (options.HeartbeatInterval is { } beat && beat < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"{nameof(ChatServerOptions.HeartbeatInterval)} must be at least 0.1 s (was {beat}).");
        }
        else if (options.HeartbeatInterval >= _core.CurrentValue.HeartbeatTimeout)
        {
            failures.Add($"{nameof(ChatServerOptions.HeartbeatInterval)} ({options.HeartbeatInterval}) must be shorter than {nameof(ChatRoomOptions.HeartbeatTimeout)} ({_core.CurrentValue.HeartbeatTimeout}).");
        }

        if (options.SweepInterval <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(ChatServerOptions.SweepInterval)} must be greater than zero.");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero)
        {
            failures.Add($"{nameof(ChatServerOptions.ShutdownTimeout)} must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
