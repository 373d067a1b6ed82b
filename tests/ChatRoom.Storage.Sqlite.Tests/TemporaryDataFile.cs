namespace ChatRoom.Storage.Sqlite.Tests;

/// <summary>A data file in a folder of its own, deleted with the folder when the test ends.</summary>
internal sealed class TemporaryDataFile : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("chatroom-store-");

    public string Path => System.IO.Path.Combine(_folder.FullName, "chatroom.db");

    public Task<SqliteChatStore> OpenAsync() => SqliteChatStore.OpenAsync(Path);

    public void Dispose() => _folder.Delete(recursive: true);
}
