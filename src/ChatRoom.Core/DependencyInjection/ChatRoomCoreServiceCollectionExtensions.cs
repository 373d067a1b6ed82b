using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Cluster;
using ChatRoom.Consent;
using ChatRoom.Events;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatRoom;

/// <summary>Registers the ChatRoom domain core.</summary>
public static class ChatRoomCoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds the domain services, in-memory stores and <see cref="TimeProvider.System"/>, each only if not registered already, so a
    /// host can replace any of them. The host supplies an <see cref="ICredentialSource"/> (see <see cref="AddChatRoomCredentials(IServiceCollection, string)"/>);
    /// a transport drives <see cref="ISessionManager"/> with an <see cref="ISessionConnection"/> per client. Options are validated at start.
    /// </summary>
    public static IServiceCollection AddChatRoomCore(this IServiceCollection services, Action<ChatRoomOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ChatRoomOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatRoomOptions>, ChatRoomOptionsValidator>());
        services.TryAdd(ServiceDescriptor.Singleton(typeof(ILogger<>), typeof(NullLogger<>)));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ChatEventPublisher>();
        services.TryAddSingleton<ILockoutStore, InMemoryLockoutStore>();
        services.TryAddSingleton<IBlockListStore, InMemoryBlockListStore>();
        services.TryAddSingleton<IOfflineStore, InMemoryOfflineStore>();
        services.TryAddSingleton<IAuthService, AuthService>();
        services.TryAddSingleton<IPresenceService, PresenceService>();
        services.TryAddSingleton<IBlacklistService, BlacklistService>();
        services.TryAddSingleton<IConsentDirectory, InMemoryConsentDirectory>();
        services.TryAddSingleton<IClusterBus, LocalClusterBus>();
        services.TryAddSingleton<ClusterSessions>();
        services.TryAddSingleton<MessageRouter>();
        services.TryAddSingleton<IMessageRouter>(static sp => sp.GetRequiredService<MessageRouter>());
        services.TryAddSingleton<IConsentService, ConsentService>();
        services.TryAddSingleton<SessionRegistry>();
        services.TryAddSingleton<DeliveryContext>();
        services.TryAddSingleton<SessionManager>();
        services.TryAddSingleton<ISessionManager>(static sp => sp.GetRequiredService<SessionManager>());
        services.TryAddSingleton<IClusterSignalHandler, ClusterSignalHandler>();
        return services;
    }

    /// <summary>Uses the credentials file at <paramref name="path"/>, read once when first needed; plaintext passwords in it are named in one warning.</summary>
    public static IServiceCollection AddChatRoomCredentials(this IServiceCollection services, string path)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(path);
        services.TryAddSingleton<ICredentialSource>(provider =>
        {
            var source = CredentialFile.Load(path);
            CredentialFile.WarnAboutPlaintext(source, path, provider.GetService<ILogger<InMemoryCredentialSource>>() ?? NullLogger<InMemoryCredentialSource>.Instance);
            return source;
        });
        return services;
    }

    /// <summary>Uses the given users (user name, password) instead of a file.</summary>
    public static IServiceCollection AddChatRoomCredentials(this IServiceCollection services, IEnumerable<KeyValuePair<string, string>> users)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<ICredentialSource>(new InMemoryCredentialSource(users));
        return services;
    }

    /// <summary>Adds an <see cref="IChatEventSink"/> that receives every domain event.</summary>
    public static IServiceCollection AddChatRoomEventSink<TSink>(this IServiceCollection services)
        where TSink : class, IChatEventSink
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IChatEventSink, TSink>());
        return services;
    }
}
