using System.Net.Sockets;
using System.Text;

namespace ChatRoom.Networking.Tests;

/// <summary>A bare client speaking the protocol by hand, as a person with nc would: over TCP, or over an in-memory pipe.</summary>
internal sealed class RawClient : IAsyncDisposable
{
    private readonly TcpClient? _tcp;
    private readonly Stream _output;
    private readonly StreamReader _reader;

    private RawClient(TcpClient? tcp, Stream input, Stream output)
    {
        _tcp = tcp;
        _output = output;
        _reader = new StreamReader(input, new UTF8Encoding(false));
    }

    public Socket Socket => _tcp?.Client ?? throw new InvalidOperationException("Not a TCP client.");

    /// <summary>Connects over TCP to 127.0.0.1, from <paramref name="from"/> (another loopback address) when given.</summary>
    public static async Task<RawClient> ConnectAsync(int port, string? from = null)
    {
        var tcp = from is null ? new TcpClient() : new TcpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(from), 0));
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        return new RawClient(tcp, stream, stream);
    }

    /// <summary>A client over the client's end of an in-memory connection.</summary>
    public static RawClient Over(System.IO.Pipelines.IDuplexPipe pipe) => new(null, pipe.Input.AsStream(), pipe.Output.AsStream());

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _output.WriteAsync(bytes);
        await _output.FlushAsync();
    }

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
        await _output.DisposeAsync();
        _tcp?.Dispose();
    }
}
