using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Offline;
using ChatRoom.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom;

/// <summary>Registers the durable SQLite store.</summary>
public static class SqliteStoreServiceCollectionExtensions
{
    /// <summary>
    /// Uses <paramref name="store"/> (opened with <see cref="SqliteChatStore.OpenAsync"/>) for unacknowledged messages, block lists
    /// and lockouts, in place of the in-memory stores. The caller owns it and disposes it after the host stops.
    /// </summary>
    public static IServiceCollection AddChatRoomSqliteStore(this IServiceCollection services, SqliteChatStore store)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(store);
        services.AddSingleton<IOfflineStore>(store);
        services.AddSingleton<IBlockListStore>(store);
        services.AddSingleton<ILockoutStore>(store);
        return services;
    }
}
