using System.Collections.Concurrent;
using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Networking.Tests.Server;

/// <summary>A client may send many commands before reading any reply: its replies push back, it is not cut off.</summary>
public sealed class PipelinedClientTests
{
    [Fact]
    public async Task Twenty_thousand_commands_sent_before_reading_all_get_their_replies_in_order()
    {
        const int count = 20_000;
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");
        await raw.SendAsync("login seas summerisover\n");
        await raw.ExpectAsync("ok login");

        // Far more replies than the queue holds (1,024) or the socket buffers take: the server must stop reading, not drop us.
        var lines = string.Concat(Enumerable.Range(0, count).Select(i => $"#t{i} online\n"));
        var sending = raw.SendAsync(lines);

        for (var i = 0; i < count; i++)
        {
            Assert.Equal($"ok #t{i} online seas", await raw.ReadLineAsync());
        }

        await sending;
        Assert.DoesNotContain(server.Logs.Lines, l => l.Contains("slow", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_connection_reads_on_while_its_messages_wait_for_the_store_and_replies_keep_command_order()
    {
        var store = new HeldAppendStore();
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<IOfflineStore>(store));
        var (_, inbox) = await server.LoginAsync("columbia");
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");
        await raw.SendAsync("login seas summerisover\n");
        await raw.ExpectAsync("ok login");

        await raw.SendAsync("#m1 message columbia one\n#m2 message columbia two\n#m3 message columbia three\n#o online\n");

        // All three are with the store at once: the connection did not wait for the first commit to read the second.
        await store.WaitForHeldAsync(3);

        // Commits finishing in reverse order change nothing on the wire: replies in command order, the online after them.
        store.Release(2);
        store.Release(1);
        store.Release(0);
        // (Delivered or queued: the last commit, finishing first, may hand all three over from the store.)
        Assert.Matches("^ok #m1 message (delivered|queued) columbia ", await raw.ReadLineAsync());
        Assert.Matches("^ok #m2 message (delivered|queued) columbia ", await raw.ReadLineAsync());
        Assert.Matches("^ok #m3 message (delivered|queued) columbia ", await raw.ReadLineAsync());
        Assert.StartsWith("ok #o online ", await raw.ReadLineAsync(), StringComparison.Ordinal);
        await inbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "three");
        Assert.Equal(["one", "two", "three"], [.. inbox.OfType<MessageNotice>().Select(m => m.Message.Text)]);
    }

    [Fact]
    public async Task A_login_is_finished_before_the_next_line_is_read()
    {
        var store = new HeldAppendStore();
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<IOfflineStore>(store));
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");

        // Sent together: the message must find the session the login opened, not "log in first".
        await raw.SendAsync("login seas summerisover\n#m message columbia kept\n");
        await raw.ExpectAsync("ok login");
        await store.WaitForHeldAsync(1);
        store.Release(0);
        Assert.StartsWith("ok #m message stored columbia ", await raw.ReadLineAsync(), StringComparison.Ordinal);
    }

    /// <summary>An in-memory store whose appends are stored at once (in call order) but reported done only when released.</summary>
    private sealed class HeldAppendStore : IOfflineStore
    {
        private readonly InMemoryOfflineStore _inner = new();
        private readonly ConcurrentDictionary<int, TaskCompletionSource> _held = new();
        private readonly SemaphoreSlim _arrived = new(0);
        private int _count;

        public async ValueTask<long?> TryAppendAsync(string recipient, ChatMessage message, MailboxLimits limits, CancellationToken cancellationToken = default)
        {
            var sequence = await _inner.TryAppendAsync(recipient, message, limits, cancellationToken);
            var gate = _held.GetOrAdd(Interlocked.Increment(ref _count) - 1, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            _arrived.Release();
            await gate.Task;
            return sequence;
        }

        public ValueTask<IReadOnlyList<StoredMessage>> ReadAsync(string recipient, long afterSequence, int max, CancellationToken cancellationToken = default)
            => _inner.ReadAsync(recipient, afterSequence, max, cancellationToken);

        public ValueTask AcknowledgeAsync(string recipient, IReadOnlyCollection<MessageId> ids, CancellationToken cancellationToken = default)
            => _inner.AcknowledgeAsync(recipient, ids, cancellationToken);

        public async Task WaitForHeldAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Assert.True(await _arrived.WaitAsync(TestServer.Wait), $"only {i} of {count} appends reached the store");
            }
        }

        public void Release(int index) => _held.GetOrAdd(index, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
