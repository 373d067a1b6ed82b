using ChatRoom.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatRoom;

/// <summary>Creates connected <see cref="ChatClient"/>s with the options registered by <see cref="ChatClientServiceCollectionExtensions.AddChatRoomClient"/>.</summary>
public interface IChatClientFactory
{
    /// <summary>The options every client is created with (validated).</summary>
    ChatClientOptions Options { get; }

    /// <summary>Connects a new client; the caller owns and disposes it.</summary>
    /// <exception cref="ChatConnectionException">The server cannot be reached.</exception>
    Task<ChatClient> ConnectAsync(CancellationToken cancellationToken = default);
}

/// <summary>Registers the ChatRoom client SDK.</summary>
public static class ChatClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers an <see cref="IChatClientFactory"/> whose clients use the options <paramref name="configure"/> derives from the
    /// defaults (with a <c>with</c> expression). The options are validated when the factory is first resolved; the clock
    /// is the registered <see cref="TimeProvider"/>, else the system clock.
    /// </summary>
    public static IServiceCollection AddChatRoomClient(this IServiceCollection services, Func<ChatClientOptions, ChatClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.TryAddSingleton<IChatClientFactory>(sp =>
        {
            var time = sp.GetService<TimeProvider>() ?? TimeProvider.System;
            var options = configure(new ChatClientOptions { TimeProvider = time });
            options.Validate();
            return new ChatClientFactory(options);
        });
        return services;
    }

    private sealed class ChatClientFactory(ChatClientOptions options) : IChatClientFactory
    {
        public ChatClientOptions Options { get; } = options;

        public Task<ChatClient> ConnectAsync(CancellationToken cancellationToken = default) => ChatClient.ConnectAsync(Options, cancellationToken);
    }
}
