using System.Diagnostics.Metrics;
using ChatRoom.Server;
using ChatRoom.Server.Diagnostics;
using ChatRoom.Sessions;
using ChatRoom.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChatRoom;

/// <summary>Registers the ChatRoom TCP server.</summary>
public static class ChatServerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the domain core (<see cref="ChatRoomCoreServiceCollectionExtensions.AddChatRoomCore"/>), the TCP server with its
    /// logging of every operation, and a hosted service that runs it. Credentials must be added too
    /// (<see cref="ChatRoomCoreServiceCollectionExtensions.AddChatRoomCredentials(IServiceCollection, string)"/>).
    /// </summary>
    public static IServiceCollection AddChatRoomServer(this IServiceCollection services, Action<ChatServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddChatRoomCore();
        var options = services.AddOptions<ChatServerOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatServerOptions>, ChatServerOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton(sp =>
        {
            var sessions = sp.GetRequiredService<ISessionManager>();
            return new ChatServerMetrics(sp.GetService<IMeterFactory>(), () => sessions.Count);
        });
        services.TryAddSingleton<IConnectionListenerFactory, SocketTransport>();
        services.TryAddSingleton<CommandDispatcher>();
        services.TryAddSingleton(sp => new ChatServer(
            sp.GetRequiredService<IOptions<ChatServerOptions>>(),
            sp.GetRequiredService<IOptions<ChatRoomOptions>>(),
            sp.GetRequiredService<CommandDispatcher>(),
            sp.GetRequiredService<ISessionManager>(),
            sp.GetRequiredService<IConnectionListenerFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<ChatServer>>(),
            sp.GetRequiredService<ChatServerMetrics>()));
        services.AddChatRoomEventSink<LoggingEventSink>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ChatServerHostedService>());
        return services;
    }
}
