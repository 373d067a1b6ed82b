using System.IO.Pipelines;
using System.Text;
using ChatRoom.Client;
using ChatRoom.Messaging;
using ChatRoom.Protocol;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Client;

/// <summary>
/// A server played by hand over in-memory pipes: the test writes server lines to a real <see cref="ChatClient"/> and reads
/// every line the client writes, so what the client sends, and when, can be asserted exactly.
/// </summary>
internal sealed class PipeServer : IAsyncDisposable
{
    private readonly Pipe _toClient = new();
    private readonly Pipe _fromClient;
    private readonly LineReader _reader;
    private readonly TimeProvider _time = TimeProvider.System;

    private PipeServer(PipeOptions? fromClient)
    {
        _fromClient = new Pipe(fromClient ?? PipeOptions.Default);
        _reader = new LineReader(_fromClient.Reader, 64 * 1024);
    }

    public ChatClient Client { get; private set; } = null!;

    /// <summary>Greets a new client; no login is needed, since this server sends whatever the test says.</summary>
    /// <param name="options">Client options; the pipes replace host and port.</param>
    /// <param name="fromClient">Options of the pipe the client writes into, e.g. a tiny pause threshold to hold its flushes.</param>
    public static async Task<PipeServer> StartAsync(ChatClientOptions? options = null, PipeOptions? fromClient = null)
    {
        var server = new PipeServer(fromClient);
        await server.SendAsync("hello ChatRoom 1 30");
        server.Client = await ChatClient.StartAsync(
            new DuplexPipe(server._toClient.Reader, server._fromClient.Writer),
            () => server._toClient.Writer.CompleteAsync(),
            (options ?? new ChatClientOptions()) with { RequestTimeout = TestServer.Wait, ConnectTimeout = TestServer.Wait });
        return server;
    }

    /// <summary>A direct message from seas to columbia.</summary>
    public MessageNotice Message(string text, bool fromOfflineStore = false)
        => new(new ChatMessage(MessageId.New(_time), MessageKind.Direct, "seas", "columbia", text, _time.GetUtcNow()), fromOfflineStore);

    public Task SendAsync(params SessionNotice[] notices) => SendAsync(notices.Select(WireFormat.Format).ToArray());

    public async Task SendAsync(params string[] lines)
    {
        await _toClient.Writer.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n"))));
    }

    /// <summary>The next line the client wrote; fails after the test timeout.</summary>
    public async Task<string> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(TestServer.Wait);
        while (true)
        {
            if (_reader.TryRead(out var line))
            {
                return line.GetString();
            }

            if (!await _reader.ReadAsync(timeout.Token))
            {
                throw new InvalidOperationException("the client closed its side");
            }
        }
    }

    /// <summary>
    /// Reads up to the client's next command (a tagged line), answers it with <c>ok</c>, and returns the lines the client
    /// wrote before it (acknowledgements).
    /// </summary>
    public async Task<IReadOnlyList<string>> AnswerNextCommandAsync()
    {
        var before = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync();
            if (line.StartsWith('#'))
            {
                var words = line.Split(' ');
                await SendAsync($"ok {words[0]} {words[1]}");
                return before;
            }

            before.Add(line);
        }
    }

    /// <summary>A heartbeat round trip; returns the lines the client wrote before the heartbeat.</summary>
    public async Task<IReadOnlyList<string>> HeartbeatAsync()
    {
        var beat = Client.HeartbeatAsync();
        var before = await AnswerNextCommandAsync();
        await beat.WaitAsync(TestServer.Wait);
        return before;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _reader.CompleteAsync();
    }
}
