using System.Net.Sockets;
using System.Text;

namespace ChatRoom.Networking.Tests;

/// <summary>A bare TCP client speaking the protocol by hand, as a person with nc would.</summary>
internal sealed class RawClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private RawClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = new StreamReader(_stream, new UTF8Encoding(false));
    }

    public Socket Socket => _tcp.Client;

    public static async Task<RawClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        return new RawClient(tcp);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>The next line, or null at end of stream; fails after the test timeout.</summary>
    public async Task<string?> ReadLineAsync()
    {
        using var cts = new CancellationTokenSource(TestServer.Wait);
        return await _reader.ReadLineAsync(cts.Token);
    }

    /// <summary>Reads lines until one starts with <paramref name="prefix"/> (at most 1000) and returns it.</summary>
    public async Task<string> ExpectAsync(string prefix)
    {
        var seen = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            var line = await ReadLineAsync() ?? throw new InvalidOperationException($"connection closed; saw: {string.Join(" | ", seen)}");
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }

            seen.Add(line);
        }

        throw new InvalidOperationException($"no line starting '{prefix}'; saw: {string.Join(" | ", seen)}");
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
