using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Protocol;
using ChatRoom.Protocol.Commands;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using ChatRoom.Tls;

namespace ChatRoom.Client;

/// <summary>
/// The TCP implementation of <see cref="IChatClient"/>. Create with <see cref="ConnectAsync"/>; dispose to disconnect.
/// One loop reads the server's lines (pausing while <see cref="Notices"/> is full), one writes commands and acknowledgements.
/// </summary>
public sealed class ChatClient : IChatClient
{
    // 128 ids of 33 bytes keep an ack line near 4 KiB, well under the server's 8 KiB line limit.
    internal const int MaxIdsPerAck = 128;

    private readonly ChatClientOptions _options;
    private readonly IDuplexPipe _transport;
    private readonly Func<ValueTask> _closeTransport;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ReplyNotice>> _pending = new();
    private readonly Channel<SessionNotice> _notices;

    // Unbounded, yet bounded in practice: each request waits for its reply, and each acknowledgement answers a message received.
    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<HelloNotice> _hello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _receiving;
    private readonly Task _sending;
    private readonly SeenMessageIds _seen;
    private long _duplicates;
    private ITimer? _heartbeat;
    private long _nextTag;
    private string? _user;
    private string _endReason = "connection-lost";
    private DisconnectedNotice? _disconnected;
    private int _disposed;

    private ChatClient(ChatClientOptions options, IDuplexPipe transport, Func<ValueTask> closeTransport)
    {
        _options = options;
        _seen = options.SeenMessages ?? new SeenMessageIds();

        // Bounded: when the application stops reading, the receive loop waits, TCP pushes back, and memory stays flat.
        _notices = Channel.CreateBounded<SessionNotice>(new BoundedChannelOptions(options.NoticeBufferCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _transport = transport;
        _closeTransport = closeTransport;
        _receiving = ReceiveLoopAsync();
        _sending = SendLoopAsync();
    }

    /// <summary>How many messages the server handed over again (after a lost acknowledgement or a crash) and this client dropped as already seen.</summary>
    public long DuplicatesSuppressed => Interlocked.Read(ref _duplicates);

    /// <inheritdoc />
    public HelloNotice ServerHello => _hello.Task.IsCompletedSuccessfully ? _hello.Task.Result : throw new InvalidOperationException("Not connected yet.");

    /// <inheritdoc />
    public string? User => Volatile.Read(ref _user);

    /// <inheritdoc />
    public IAsyncEnumerable<SessionNotice> Notices => ReadNoticesAsync();

    /// <summary>Connects to the server and waits for its greeting.</summary>
    /// <exception cref="ChatConnectionException">The server cannot be reached or does not greet within <see cref="ChatClientOptions.ConnectTimeout"/>.</exception>
    public static async Task<ChatClient> ConnectAsync(ChatClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            throw new ChatConnectionException($"cannot connect to {options.Host}:{options.Port}: {(ex is SocketException s ? s.Message : "timed out")}", ex);
        }

        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (options.TlsEnabled)
        {
            stream = await AuthenticateAsync(stream, options, linked.Token, cancellationToken).ConfigureAwait(false);
        }

        var transport = new DuplexPipe(
            PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
        try
        {
            return await StartAsync(transport, () => stream.DisposeAsync(), options, cancellationToken).ConfigureAwait(false);
        }
        catch (ChatConnectionException ex) when (ex.InnerException is OperationCanceledException)
        {
            // A TLS server waits for our handshake and a plaintext client waits for its greeting: say what it may be.
            var hint = options.TlsEnabled ? string.Empty : " (if it speaks TLS, connect with TLS)";
            throw new ChatConnectionException($"{options.Host}:{options.Port} did not greet in time{hint}", ex.InnerException);
        }
    }

    // The TLS handshake, within the connect timeout; every failure becomes one ChatConnectionException saying why.
    private static async Task<Stream> AuthenticateAsync(Stream inner, ChatClientOptions options, CancellationToken timeout, CancellationToken cancellationToken)
    {
        var tls = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(TlsProtocols.Client(options.Host, ServerCertificateCheck.For(options)), timeout).ConfigureAwait(false);
            return tls;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or CryptographicException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var why = ex switch
            {
                OperationCanceledException => "no TLS handshake in time",
                AuthenticationException when ex.Message.Contains("certificate", StringComparison.OrdinalIgnoreCase) => $"the server's certificate is not trusted ({ex.Message})",
                _ => $"the TLS handshake failed; the server may not speak TLS ({ex.Message})",
            };
            throw new ChatConnectionException($"cannot connect securely to {options.Host}:{options.Port}: {why}", ex);
        }
    }

    /// <summary>
    /// Runs a client over <paramref name="transport"/> (a socket, or an in-memory pipe in tests) and waits for the server's
    /// greeting. <paramref name="closeTransport"/> is called once, on dispose, to close what lies under the pipe.
    /// </summary>
    /// <exception cref="ChatConnectionException">No greeting within <see cref="ChatClientOptions.ConnectTimeout"/>, or the transport closed first.</exception>
    internal static async Task<ChatClient> StartAsync(IDuplexPipe transport, Func<ValueTask> closeTransport, ChatClientOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var client = new ChatClient(options, transport, closeTransport);
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await client._hello.Task.WaitAsync(linked.Token).ConfigureAwait(false);
            return client;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChatConnectionException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw ex as ChatConnectionException ?? new ChatConnectionException("the server did not greet in time", ex);
        }
    }

    /// <inheritdoc />
    public async Task<LoginResult> LoginAsync(string user, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        user = user.Trim();
        password = password.Trim();
        RequireWord(user, nameof(user));
        RequireWord(password, nameof(password));
        var args = new List<string> { user, password };
        if (_options.PeerPort is { } port)
        {
            args.Add(port.ToString(CultureInfo.InvariantCulture));
            if (_options.PeerAddress is { } address)
            {
                args.Add(address);
            }

            if (_options.PeerPin is { } pin)
            {
                if (_options.PeerAddress is null)
                {
                    args.Add(LoginCommand.AddressSeenByServer);
                }

                args.Add(TlsCertificates.NormalizePin(pin)!);
            }
        }

        var result = await RequestAsync(CommandTable.Login, [.. args], cancellationToken).ConfigureAwait(false);
        if (result is LoginSuccess success)
        {
            Volatile.Write(ref _user, success.User);
            StartHeartbeats();
        }

        return result;
    }

    /// <inheritdoc />
    public async Task<SendReceipt> SendAsync(string to, string text, CancellationToken cancellationToken = default)
    {
        RequireUser(to, nameof(to));
        RequireText(text);
        return await RequestAsync(CommandTable.Message, [to, text], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<BroadcastReceipt> BroadcastAsync(string text, CancellationToken cancellationToken = default)
    {
        RequireText(text);
        return await RequestAsync(CommandTable.Broadcast, [text], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetOnlineUsersAsync(CancellationToken cancellationToken = default)
        => RequestAsync(CommandTable.Online, [], cancellationToken);

    /// <inheritdoc />
    public async Task<BlockResult> BlockAsync(string user, CancellationToken cancellationToken = default)
    {
        RequireUser(user, nameof(user));
        return await RequestAsync(CommandTable.Block, [user], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<UnblockResult> UnblockAsync(string user, CancellationToken cancellationToken = default)
    {
        RequireUser(user, nameof(user));
        return await RequestAsync(CommandTable.Unblock, [user], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ConsentRequestResult> RequestAddressAsync(string user, CancellationToken cancellationToken = default)
    {
        RequireUser(user, nameof(user));
        return await RequestAsync(CommandTable.GetAddress, [user], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ConsentAnswerResult> AnswerConsentAsync(string requester, bool allow, CancellationToken cancellationToken = default)
    {
        RequireUser(requester, nameof(requester));
        return await RequestAsync(CommandTable.Consent, [requester, ConsentCommand.Format(allow)], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task HeartbeatAsync(CancellationToken cancellationToken = default) => RequestAsync(CommandTable.Heartbeat, [], cancellationToken);

    /// <inheritdoc />
    public async Task LogoutAsync(CancellationToken cancellationToken = default)
    {
        await RequestAsync(CommandTable.Logout, [], cancellationToken).ConfigureAwait(false);
        StopHeartbeats();
        Volatile.Write(ref _user, null);
    }

    /// <inheritdoc />
    public void Acknowledge(MessageId id)
    {
        // After the connection closed there is nobody to tell: the server hands the message over again at the next login.
        _outgoing.Writer.TryWrite(new Outgoing(id));
    }

    /// <inheritdoc />
    public void Acknowledge(MessageNotice notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        if (notice.Message.Kind == MessageKind.Direct)
        {
            Acknowledge(notice.Message.Id);
        }
    }

    /// <summary>Closes the connection (without logging out: the server sees the user disconnect) and releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        StopHeartbeats();
        _endReason = _endReason == "connection-lost" ? "disposed" : _endReason;
        await _closed.CancelAsync().ConfigureAwait(false);
        await _closeTransport().ConfigureAwait(false);
        await _receiving.ConfigureAwait(false);
        await _sending.ConfigureAwait(false);
        _closed.Dispose();
    }

    /// <summary>Sends <paramref name="command"/> with a fresh tag, waits for the reply carrying that tag, and lets the command read it.</summary>
    private async Task<TResult> RequestAsync<TResult>(ChatCommand<TResult> command, string[] args, CancellationToken cancellationToken)
    {
        var tag = Interlocked.Increment(ref _nextTag).ToString(CultureInfo.InvariantCulture);
        var answer = new TaskCompletionSource<ReplyNotice>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[tag] = answer;
        var name = command.Name;
        try
        {
            // Closed() completes the queue before failing the waiters, so a request is either failed there or refused here.
            if (!_outgoing.Writer.TryWrite(new Outgoing(args.Length == 0 ? $"#{tag} {name}" : $"#{tag} {name} {string.Join(' ', args)}")))
            {
                throw new ChatConnectionException($"the connection is closed ({_endReason})");
            }

            return command.Read(await answer.Task.WaitAsync(_options.RequestTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false));
        }
        catch (TimeoutException ex)
        {
            throw new ChatConnectionException($"no answer to {name} within {_options.RequestTimeout.TotalSeconds:0.#} s", ex);
        }
        finally
        {
            _pending.TryRemove(tag, out _);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();
        var reader = new LineReader(_transport.Input, _options.MaxLineBytes);
        try
        {
            while (await reader.ReadAsync(_closed.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var line))
                {
                    // The server sends only UTF-8 and lines within the limit; anything else is skipped like an unknown kind.
                    if (line.Status == LineStatus.Complete && Dispatch(line.GetString()) is { } notice && !_notices.Writer.TryWrite(notice))
                    {
                        // The application is behind: stop reading from the server until it takes a notice.
                        await _notices.Writer.WriteAsync(notice, _closed.Token).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException
            || (ex is InvalidOperationException && _closed.IsCancellationRequested))
        {
            // Closed by us or by the network: handled below alike. (Disposing closes the transport, which may complete
            // the pipe under a read in progress: the pipe then refuses the read's hand-back of what it consumed.)
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            Closed();
        }
    }

    // Answers replies and the greeting at once; returns what the application should see, or null.
    private SessionNotice? Dispatch(string line)
    {
        SessionNotice notice;
        try
        {
            notice = WireFormat.Parse(line, User ?? string.Empty);
        }
        catch (FormatException)
        {
            // A line kind from a newer server: skip it rather than fail.
            return null;
        }

        switch (notice)
        {
            case ReplyNotice reply:
                if (reply.Tag is not null && _pending.TryGetValue(reply.Tag, out var waiter))
                {
                    waiter.TrySetResult(reply);
                }

                break;
            case HelloNotice hello:
                _hello.TrySetResult(hello);
                break;
            case ByeNotice bye:
                _endReason = bye.Reason;
                return notice;
            case DisplacedNotice:
                _endReason = "displaced";
                return notice;
            default:
                return notice;
        }

        return null;
    }

    // One reader: acknowledges (in automatic mode) each direct message as it is handed to the application, and drops a
    // message handed over again that the application was already given, acknowledging it again so the server lets it go.
    private async IAsyncEnumerable<SessionNotice> ReadNoticesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = _notices.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var notice))
            {
                if (notice is MessageNotice { Message: { Kind: MessageKind.Direct, Id: var id } })
                {
                    if (!_seen.TryAdd(id))
                    {
                        Interlocked.Increment(ref _duplicates);
                        Acknowledge(id);
                        continue;
                    }

                    if (_options.AutoAcknowledge)
                    {
                        Acknowledge(id);
                    }
                }

                yield return notice;
            }
        }

        yield return Volatile.Read(ref _disconnected) ?? new DisconnectedNotice(_endReason);
    }

    // The one writer: everything queued goes out with one flush, and acknowledgements queued side by side share one line.
    private async Task SendLoopAsync()
    {
        await Task.Yield();
        var writer = new LineWriter(_transport.Output);
        var reader = _outgoing.Reader;
        var acks = new StringBuilder();
        var ackCount = 0;
        try
        {
            while (await reader.WaitToReadAsync(_closed.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    if (item.Line is { } line)
                    {
                        WriteAcks();
                        writer.Write(line);
                        continue;
                    }

                    if (ackCount == 0)
                    {
                        acks.Clear().Append(CommandTable.Ack.Name);
                    }

                    acks.Append(' ').Append(item.Ack.ToString());
                    if (++ackCount == MaxIdsPerAck)
                    {
                        WriteAcks();
                    }
                }

                WriteAcks();
                if (!await writer.FlushAsync(_closed.Token).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is gone; unacknowledged messages are handed over again at the next login.
        }
        finally
        {
            // A connection that cannot be written to is of no use: end the receive loop too.
            _closed.Cancel();
            try
            {
                await writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                // Unsent bytes for a closed connection have nowhere to go.
            }
        }

        void WriteAcks()
        {
            if (ackCount > 0)
            {
                writer.Write(acks.ToString());
                ackCount = 0;
            }
        }
    }

    private void Closed()
    {
        StopHeartbeats();
        _closed.Cancel();
        _outgoing.Writer.TryComplete();
        var error = new ChatConnectionException(_endReason == TlsProtocols.RequiredByeReason
            ? "the server accepts only TLS connections; connect with TLS"
            : $"the connection is closed ({_endReason})");
        _hello.TrySetException(error);
        foreach (var waiter in _pending.Values)
        {
            waiter.TrySetException(error);
        }

        // Kept aside rather than queued, so a full buffer cannot lose the last word.
        Volatile.Write(ref _disconnected, new DisconnectedNotice(_endReason));
        _notices.Writer.TryComplete();
    }

    private void StartHeartbeats()
    {
        var interval = _options.HeartbeatInterval ?? ServerHello.HeartbeatInterval;
        var timer = _options.TimeProvider.CreateTimer(static state => ((ChatClient)state!).Beat(), this, interval, interval);
        Interlocked.Exchange(ref _heartbeat, timer)?.Dispose();
    }

    private void StopHeartbeats() => Interlocked.Exchange(ref _heartbeat, null)?.Dispose();

    private void Beat()
    {
        _ = BeatAsync();

        async Task BeatAsync()
        {
            try
            {
                await HeartbeatAsync(_closed.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ChatConnectionException or ChatProtocolException or OperationCanceledException or ObjectDisposedException)
            {
                // A lost connection surfaces as DisconnectedNotice; a missed beat is retried on the next tick.
            }
        }
    }

    private static void RequireUser(string user, string name)
    {
        if (!UserNames.IsValid(user))
        {
            throw new ArgumentException($"'{user}' is not a valid user name.", name);
        }
    }

    private static void RequireWord(string word, string name)
    {
        if (word.Length == 0 || word.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ArgumentException("Must be one word without spaces or control characters.", name);
        }
    }

    // A line break in the text would smuggle a second command onto the wire.
    private static void RequireText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Any(c => char.IsControl(c) && c != '\t'))
        {
            throw new ArgumentException("The text may not contain line breaks or other control characters.", nameof(text));
        }
    }
}

/// <summary>One item for the send loop: a command line, or (when <see cref="Line"/> is null) the id of a message to acknowledge.</summary>
internal readonly record struct Outgoing(string? Line, MessageId Ack)
{
    public Outgoing(string line)
        : this(line, default)
    {
    }

    public Outgoing(MessageId ack)
        : this(null, ack)
    {
    }
}
