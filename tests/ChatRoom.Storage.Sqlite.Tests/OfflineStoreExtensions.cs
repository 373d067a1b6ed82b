using ChatRoom.Messaging;
using ChatRoom.Offline;

namespace ChatRoom.Storage.Sqlite.Tests;

internal static class OfflineStoreExtensions
{
    /// <summary>The recipient's first <paramref name="max"/> waiting messages, without their sequences.</summary>
    public static async Task<List<ChatMessage>> MessagesAsync(this IOfflineStore store, string recipient, int max)
        => [.. (await store.ReadAsync(recipient, 0, max)).Select(s => s.Message)];
}
