using ChatRoom.Messaging;
using ChatRoom.Offline;

namespace ChatRoom.Storage.Contracts;

/// <summary>Reads for assertions about what an <see cref="IOfflineStore"/> holds.</summary>
public static class OfflineStoreReading
{
    /// <summary>The recipient's first <paramref name="max"/> waiting messages, without their sequences.</summary>
    public static async Task<List<ChatMessage>> MessagesAsync(this IOfflineStore store, string recipient, int max = 100)
        => [.. (await store.ReadAsync(recipient, 0, max)).Select(s => s.Message)];

    /// <summary>Everything waiting for the recipient, read page by page after the last sequence seen.</summary>
    public static async Task<List<StoredMessage>> ReadAllAsync(this IOfflineStore store, string recipient, int pageSize = 256)
    {
        var all = new List<StoredMessage>();
        while (await store.ReadAsync(recipient, all.Count == 0 ? 0 : all[^1].Sequence, pageSize) is { Count: > 0 } page)
        {
            all.AddRange(page);
        }

        return all;
    }
}
