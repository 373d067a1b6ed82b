using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
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
using Polly;
using Polly.Retry;

namespace ChatRoom.Client;

/// <summary>
/// The TCP implementation of <see cref="IChatClient"/>. Create with <see cref="ConnectAsync"/>; dispose to disconnect.
/// Per connection, one loop reads the server's lines (pausing while <see cref="Notices"/> is full) and one writes commands
/// and acknowledgements. With <see cref="ChatClientOptions.Reconnect"/> a lost session is resumed on a new connection
/// (another of <see cref="ChatClientOptions.Servers"/> where there are several) behind the same object and notice stream.
/// </summary>
public sealed class ChatClient : IChatClient
{
    // 128 ids of 33 bytes keep an ack line near 4 KiB, well under the server's 8 KiB line limit.
    internal const int MaxIdsPerAck = 128;

    private const string ConnectionLost = "connection-lost";

    private readonly ChatClientOptions _options;
    private readonly IReadOnlyList<DnsEndPoint> _servers;
    private readonly Channel<SessionNotice> _notices;
    private readonly SeenMessageIds _seen;
    private readonly CancellationTokenSource _disposing = new();

    // Null when this client does not reconnect (not asked to, or running over a transport it cannot open again).
    private readonly ResiliencePipeline? _reconnectPipeline;

    // Guards which link is current, and the hand-over from a lost link to the next.
    private readonly Lock _gate = new();
    private Link? _link;
    private TaskCompletionSource<Link>? _relinked;
    private Task _reconnecting = Task.CompletedTask;
    private DisconnectedNotice? _disconnected;
    private long _duplicates;
    private ITimer? _heartbeat;
    private long _nextTag;
    private string? _user;
    private string? _password;
    private volatile bool _leaving;
    private int _disposed;

    private ChatClient(ChatClientOptions options, bool canReconnect)
    {
        _options = options;
        _servers = options.GetServers();
        _seen = options.SeenMessages ?? new SeenMessageIds();

        // Bounded: when the application stops reading, the receive loop waits, TCP pushes back, and memory stays flat.
        _notices = Channel.CreateBounded<SessionNotice>(new BoundedChannelOptions(options.NoticeBufferCapacity)
        {
            // The current link's receive loop and, between links, the reconnect loop.
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        if (canReconnect && options.Reconnect is { } reconnect)
        {
            _reconnectPipeline = BuildReconnectPipeline(reconnect);
        }
    }

    /// <summary>How many messages the server handed over again (after a lost acknowledgement or a crash) and this client dropped as already seen.</summary>
    public long DuplicatesSuppressed => Interlocked.Read(ref _duplicates);

    /// <inheritdoc />
    public HelloNotice ServerHello => Volatile.Read(ref _link)?.Hello.Task is { IsCompletedSuccessfully: true } hello ? hello.Result : throw new InvalidOperationException("Not connected yet.");

    /// <inheritdoc />
    public string? User => Volatile.Read(ref _user);

    /// <summary>The server this client is (or was last) connected to, as <c>host:port</c>: one of <see cref="ChatClientOptions.GetServers"/>.</summary>
    public string Server => Volatile.Read(ref _link)?.Server ?? throw new InvalidOperationException("Not connected yet.");

    /// <inheritdoc />
    public IAsyncEnumerable<SessionNotice> Notices => ReadNoticesAsync();

    /// <summary>
    /// Connects to the first of <see cref="ChatClientOptions.GetServers"/> that answers and waits for its greeting; the
    /// servers are tried in order, each within <see cref="ChatClientOptions.ConnectTimeout"/>.
    /// </summary>
    /// <exception cref="ChatConnectionException">No server can be reached or greets within <see cref="ChatClientOptions.ConnectTimeout"/>.</exception>
    public static async Task<ChatClient> ConnectAsync(ChatClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var client = new ChatClient(options, canReconnect: true);
        var failures = new List<string>();
        for (var i = 0; i < client._servers.Count; i++)
        {
            try
            {
                var link = await client.OpenLinkAsync(i, cancellationToken).ConfigureAwait(false);
                if (!client.TryInstall(link, out _))
                {
                    await link.CloseAsync().ConfigureAwait(false);
                    throw new ChatConnectionException($"{link.Server} closed the connection ({link.EndReason})");
                }

                link.Established.TrySetResult();
                return client;
            }
            catch (ChatConnectionException ex) when (client._servers.Count > 1)
            {
                failures.Add(ex.Message);
            }
            catch
            {
                await client.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        await client.DisposeAsync().ConfigureAwait(false);
        throw new ChatConnectionException($"cannot connect to any of {client._servers.Count} servers: {string.Join("; ", failures)}");
    }

    /// <summary>
    /// Runs a client over <paramref name="transport"/> (an in-memory pipe in tests) and waits for the server's greeting.
    /// <paramref name="closeTransport"/> is called once, on dispose, to close what lies under the pipe. Such a client cannot
    /// open a transport again, so it does not reconnect.
    /// </summary>
    /// <exception cref="ChatConnectionException">No greeting within <see cref="ChatClientOptions.ConnectTimeout"/>, or the transport closed first.</exception>
    internal static async Task<ChatClient> StartAsync(IDuplexPipe transport, Func<ValueTask> closeTransport, ChatClientOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var client = new ChatClient(options, canReconnect: false);
        var link = client.StartLink(transport, closeTransport, "memory", 0);
        try
        {
            await client.GreetAsync(link, cancellationToken).ConfigureAwait(false);
            if (!client.TryInstall(link, out _))
            {
                throw new ChatConnectionException($"the connection is closed ({link.EndReason})");
            }

            link.Established.TrySetResult();
            return client;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChatConnectionException)
        {
            await link.CloseAsync().ConfigureAwait(false);
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // Opens a socket (and TLS) to one server, starts a link over it, and waits for the greeting.
    private async Task<Link> OpenLinkAsync(int index, CancellationToken cancellationToken)
    {
        var server = _servers[index];
        var name = Describe(server);
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            throw new ChatConnectionException($"cannot connect to {name}: {(ex is SocketException s ? s.Message : "timed out")}", ex);
        }

        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (_options.TlsEnabled)
        {
            stream = await AuthenticateAsync(stream, server, _options, linked.Token, cancellationToken).ConfigureAwait(false);
        }

        var transport = new DuplexPipe(
            PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
        var link = StartLink(transport, () => stream.DisposeAsync(), name, index);
        try
        {
            await GreetAsync(link, cancellationToken).ConfigureAwait(false);
            return link;
        }
        catch (ChatConnectionException ex) when (ex.InnerException is OperationCanceledException)
        {
            await link.CloseAsync().ConfigureAwait(false);

            // A TLS server waits for our handshake and a plaintext client waits for its greeting: say what it may be.
            var hint = _options.TlsEnabled ? string.Empty : " (if it speaks TLS, connect with TLS)";
            throw new ChatConnectionException($"{name} did not greet in time{hint}", ex.InnerException);
        }
        catch
        {
            await link.CloseAsync().ConfigureAwait(false);
            throw;
        }
    }

    // The TLS handshake, within the connect timeout; every failure becomes one ChatConnectionException saying why.
    private static async Task<Stream> AuthenticateAsync(Stream inner, DnsEndPoint server, ChatClientOptions options, CancellationToken timeout, CancellationToken cancellationToken)
    {
        var tls = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(TlsProtocols.Client(server.Host, ServerCertificateCheck.For(options)), timeout).ConfigureAwait(false);
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
            throw new ChatConnectionException($"cannot connect securely to {Describe(server)}: {why}", ex);
        }
    }

    private static string Describe(DnsEndPoint server) => $"{server.Host}:{server.Port.ToString(CultureInfo.InvariantCulture)}";

    private Link StartLink(IDuplexPipe transport, Func<ValueTask> closeTransport, string server, int index)
    {
        var link = new Link(transport, closeTransport, server, index);
        link.Receiving = ReceiveLoopAsync(link);
        link.Sending = SendLoopAsync(link);
        return link;
    }

    private async Task GreetAsync(Link link, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await link.Hello.Task.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new ChatConnectionException("the server did not greet in time", ex);
        }
    }

    // Makes a greeted (and, reconnecting, logged-in) link the current one, unless it closed meanwhile or the client is
    // being disposed; returns the waiters for a reconnect, to be released.
    private bool TryInstall(Link link, out TaskCompletionSource<Link>? relinked)
    {
        lock (_gate)
        {
            relinked = null;
            if (link.Ended || Volatile.Read(ref _disposed) != 0)
            {
                return false;
            }

            Volatile.Write(ref _link, link);
            relinked = _relinked;
            _relinked = null;
            return true;
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
        var result = await RequestAsync(CommandTable.Login, LoginArguments(user, password), cancellationToken).ConfigureAwait(false);
        if (result is LoginSuccess success)
        {
            // Kept for a reconnect, which logs in again as this user.
            Volatile.Write(ref _password, password);
            Volatile.Write(ref _user, success.User);
            StartHeartbeats();
        }

        return result;
    }

    private string[] LoginArguments(string user, string password)
    {
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

        return [.. args];
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
        // Leaving on purpose: a connection lost from here on is not resumed.
        _leaving = true;
        await RequestAsync(CommandTable.Logout, [], cancellationToken).ConfigureAwait(false);
        StopHeartbeats();
        Volatile.Write(ref _user, null);
        Volatile.Write(ref _password, null);
    }

    /// <inheritdoc />
    public void Acknowledge(MessageId id)
    {
        // After the connection closed there is nobody to tell: the server hands the message over again at the next login
        // (or the reconnect), and the repeat is dropped and acknowledged then.
        Volatile.Read(ref _link)?.Outgoing.Writer.TryWrite(new Outgoing(id));
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

    /// <summary>Closes the connection (without logging out: the server sees the user disconnect), stops reconnecting, and releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        StopHeartbeats();
        await _disposing.CancelAsync().ConfigureAwait(false);
        Link? link;
        lock (_gate)
        {
            link = _link;
        }

        if (link is not null)
        {
            link.EndReason = link.EndReason == ConnectionLost ? "disposed" : link.EndReason;
            await link.CloseAsync().ConfigureAwait(false);
        }

        Task reconnecting;
        lock (_gate)
        {
            reconnecting = _reconnecting;
        }

        await reconnecting.ConfigureAwait(false);
        Finish("disposed");
        _disposing.Dispose();
    }

    /// <summary>
    /// Sends <paramref name="command"/> with a fresh tag, waits for the reply carrying that tag, and lets the command read it.
    /// While the client reconnects it first waits for the new connection; the whole takes at most <see cref="ChatClientOptions.RequestTimeout"/>.
    /// </summary>
    private async Task<TResult> RequestAsync<TResult>(ChatCommand<TResult> command, string[] args, CancellationToken cancellationToken)
    {
        var started = _options.TimeProvider.GetTimestamp();
        while (true)
        {
            // The usual case, connected, costs no wait and no allocation here.
            var link = Volatile.Read(ref _relinked) is null && Volatile.Read(ref _link) is { Ended: false } connected
                ? connected
                : await ConnectedLinkAsync(command.Name, cancellationToken).ConfigureAwait(false);
            var left = _options.RequestTimeout - _options.TimeProvider.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new ChatConnectionException($"no answer to {command.Name} within {_options.RequestTimeout.TotalSeconds:0.#} s");
            }

            if (await TryRequestOnAsync(link, command, args, left, cancellationToken).ConfigureAwait(false) is { } reply)
            {
                return command.Read(reply);
            }

            // Refused by a link that closed before the command went out: nothing was sent, so wait for the reconnect if one began.
            lock (_gate)
            {
                if (_relinked is null && ReferenceEquals(_link, link))
                {
                    throw new ChatConnectionException($"the connection is closed ({link.EndReason})");
                }
            }
        }
    }

    // The current link, or, while reconnecting, the next one (within the request timeout).
    private async Task<Link> ConnectedLinkAsync(string name, CancellationToken cancellationToken)
    {
        Task<Link> next;
        lock (_gate)
        {
            if (_relinked is null)
            {
                return _link ?? throw new ChatConnectionException("not connected");
            }

            next = _relinked.Task;
        }

        try
        {
            return await next.WaitAsync(_options.RequestTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new ChatConnectionException($"{name} not sent: the connection to the server was lost and is not back after {_options.RequestTimeout.TotalSeconds:0.#} s", ex);
        }
    }

    // Sends one command on one link and waits for its reply; null when the link refused it (closed), so nothing was sent.
    private async Task<ReplyNotice?> TryRequestOnAsync<TResult>(Link link, ChatCommand<TResult> command, string[] args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var tag = Interlocked.Increment(ref _nextTag).ToString(CultureInfo.InvariantCulture);
        var answer = new TaskCompletionSource<ReplyNotice>(TaskCreationOptions.RunContinuationsAsynchronously);
        link.Pending[tag] = answer;
        var name = command.Name;
        try
        {
            // LinkClosed() completes the queue before failing the waiters, so a request is either failed there or refused here.
            if (!link.Outgoing.Writer.TryWrite(new Outgoing(args.Length == 0 ? $"#{tag} {name}" : $"#{tag} {name} {string.Join(' ', args)}")))
            {
                return null;
            }

            return await answer.Task.WaitAsync(timeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new ChatConnectionException($"no answer to {name} within {_options.RequestTimeout.TotalSeconds:0.#} s", ex);
        }
        finally
        {
            link.Pending.TryRemove(tag, out _);
        }
    }

    private async Task ReceiveLoopAsync(Link link)
    {
        await Task.Yield();
        var reader = new LineReader(link.Transport.Input, _options.MaxLineBytes);
        try
        {
            while (await reader.ReadAsync(link.Closed.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var line))
                {
                    // The server sends only UTF-8 and lines within the limit; anything else is skipped like an unknown kind.
                    if (line.Status == LineStatus.Complete && Dispatch(link, line.GetString()) is { } notice)
                    {
                        if (!link.Established.Task.IsCompleted)
                        {
                            // A reconnect's first messages wait until ReconnectedNotice is queued ahead of them and their
                            // acknowledgements have this link to go to.
                            await link.Established.Task.WaitAsync(link.Closed.Token).ConfigureAwait(false);
                        }

                        if (!_notices.Writer.TryWrite(notice))
                        {
                            // The application is behind: stop reading from the server until it takes a notice.
                            await _notices.Writer.WriteAsync(notice, link.Closed.Token).ConfigureAwait(false);
                        }
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or ChannelClosedException
            || (ex is InvalidOperationException && link.Closed.IsCancellationRequested))
        {
            // Closed by us or by the network: handled below alike. (Disposing closes the transport, which may complete
            // the pipe under a read in progress: the pipe then refuses the read's hand-back of what it consumed.)
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            LinkClosed(link);
        }
    }

    // Answers replies and the greeting at once; returns what the application should see, or null.
    private SessionNotice? Dispatch(Link link, string line)
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
                if (reply.Tag is not null && link.Pending.TryGetValue(reply.Tag, out var waiter))
                {
                    waiter.TrySetResult(reply);
                }

                return null;
            case HelloNotice hello:
                link.Hello.TrySetResult(hello);
                return null;
            case ByeNotice bye:
                link.EndReason = bye.Reason;

                // A reconnect attempt that ends this way just fails; the application hears of the session it has.
                return link.Established.Task.IsCompleted ? notice : null;
            case DisplacedNotice:
                link.EndReason = "displaced";
                return link.Established.Task.IsCompleted ? notice : null;
            default:
                return notice;
        }
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

        yield return Volatile.Read(ref _disconnected) ?? new DisconnectedNotice(ConnectionLost);
    }

    // The one writer of a link: everything queued goes out with one flush, and acknowledgements queued side by side share one line.
    private static async Task SendLoopAsync(Link link)
    {
        await Task.Yield();
        var writer = new LineWriter(link.Transport.Output);
        var reader = link.Outgoing.Reader;
        var acks = new StringBuilder();
        var ackCount = 0;
        try
        {
            while (await reader.WaitToReadAsync(link.Closed.Token).ConfigureAwait(false))
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
                if (!await writer.FlushAsync(link.Closed.Token).ConfigureAwait(false))
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
            link.Closed.Cancel();
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

    // A link's receive loop ended. The current link's end either starts a reconnect or ends the notice stream; a link
    // that never became current (a reconnect attempt, a connect that failed) just fails its waiters.
    private void LinkClosed(Link link)
    {
        bool current;
        bool reconnect;
        lock (_gate)
        {
            link.Ended = true;
            current = ReferenceEquals(_link, link);
            reconnect = current && ShouldReconnect(link.EndReason);
            if (reconnect)
            {
                // Set before the queue is completed below: a command refused by this link then waits for the next one.
                _relinked = new TaskCompletionSource<Link>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        link.Closed.Cancel();
        link.Outgoing.Writer.TryComplete();
        var tlsRequired = link.EndReason == TlsProtocols.RequiredByeReason;
        link.Hello.TrySetException(new ChatConnectionException(tlsRequired
            ? "the server accepts only TLS connections; connect with TLS"
            : $"the connection is closed ({link.EndReason})"));
        var unanswered = new ChatConnectionException(tlsRequired
            ? "the server accepts only TLS connections; connect with TLS"
            : $"the connection closed ({link.EndReason}) before the server answered; the command may or may not have been carried out");
        foreach (var waiter in link.Pending.Values)
        {
            waiter.TrySetException(unanswered);
        }

        if (!current)
        {
            return;
        }

        StopHeartbeats();
        if (reconnect)
        {
            lock (_gate)
            {
                _reconnecting = ReconnectAsync(link, _reconnecting);
            }
        }
        else
        {
            Finish(link.EndReason);
        }
    }

    // Only a loss the client did not choose and the server did not mean as final: not a logout, a displacement (that
    // would take the session back from the user's other login, which would take it back again), flooding or disposal.
    private bool ShouldReconnect(string reason)
        => _reconnectPipeline is not null && Volatile.Read(ref _disposed) == 0 && !_leaving && Volatile.Read(ref _password) is not null
            && reason is ConnectionLost or "shutdown" or "expired";

    // Ends the notice stream with DisconnectedNotice(reason) (once) and fails commands waiting for a reconnect.
    private void Finish(string reason)
    {
        TaskCompletionSource<Link>? relinked;
        lock (_gate)
        {
            if (_disconnected is not null)
            {
                return;
            }

            Volatile.Write(ref _disconnected, new DisconnectedNotice(reason));
            relinked = _relinked;
            _relinked = null;
        }

        StopHeartbeats();
        relinked?.TrySetException(new ChatConnectionException($"the connection is closed ({reason})"));
        _notices.Writer.TryComplete();
    }

    private ResiliencePipeline BuildReconnectPipeline(ChatClientReconnectOptions reconnect)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _options.TimeProvider };
        if (reconnect.MaxAttempts is not 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                // Refused logins are not retried: they end the reconnect (ReconnectRefused). Cancellation ends it too.
                ShouldHandle = new PredicateBuilder().Handle<ChatConnectionException>().Handle<ChatProtocolException>(),
                MaxRetryAttempts = reconnect.MaxAttempts is { } max ? max - 1 : int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = reconnect.FirstDelay,
                MaxDelay = reconnect.MaxDelay,
                OnRetry = args => _notices.Writer.WriteAsync(
                    new ReconnectingNotice(args.AttemptNumber + 2, args.RetryDelay, args.Outcome.Exception?.Message ?? ConnectionLost),
                    args.Context.CancellationToken),
            });
        }

        return builder.Build();
    }

    // Resumes the session lost with <paramref name="lost"/>: attempts on the servers in turn, starting after the lost one,
    // with backoff, until one logs in again (then it becomes the current link), a login is refused, or it is time to give up.
    private async Task ReconnectAsync(Link lost, Task previous)
    {
        await Task.Yield();
        await previous.ConfigureAwait(false);
        await lost.CloseAsync().ConfigureAwait(false);
        var settings = _options.Reconnect!;
        var user = Volatile.Read(ref _user)!;
        var password = Volatile.Read(ref _password)!;
        var next = lost.Index;
        using var giveUp = new CancellationTokenSource(settings.GiveUpAfter, _options.TimeProvider);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(giveUp.Token, _disposing.Token);
        try
        {
            await _notices.Writer.WriteAsync(new ReconnectingNotice(1, TimeSpan.Zero, lost.EndReason), stop.Token).ConfigureAwait(false);
            while (true)
            {
                var link = await _reconnectPipeline!.ExecuteAsync(
                    async ct =>
                    {
                        next = (next + 1) % _servers.Count;
                        return await LogInAgainAsync(next, user, password, ct).ConfigureAwait(false);
                    },
                    stop.Token).ConfigureAwait(false);
                if (!TryInstall(link, out var relinked))
                {
                    // Lost again at once (or the client is being disposed): try again, unless told to stop.
                    await link.CloseAsync().ConfigureAwait(false);
                    stop.Token.ThrowIfCancellationRequested();
                    continue;
                }

                await _notices.Writer.WriteAsync(new ReconnectedNotice(link.Server), stop.Token).ConfigureAwait(false);
                link.Established.TrySetResult();
                relinked?.TrySetResult(link);
                StartHeartbeats();
                return;
            }
        }
        catch (ReconnectRefusedException refused)
        {
            _notices.Writer.TryWrite(new ReconnectRefusedNotice(refused.Result));
            Finish("login-refused");
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChatConnectionException or ChatProtocolException or ChannelClosedException)
        {
            // Gave up (out of time or attempts), or disposed: the stream ends as it would have without reconnecting.
            Finish(_disposing.IsCancellationRequested ? "disposed" : lost.EndReason);
        }
    }

    // One reconnect attempt: connect to one server, greet, log in as before. Transient refusals fail the attempt (retried).
    private async Task<Link> LogInAgainAsync(int index, string user, string password, CancellationToken cancellationToken)
    {
        var link = await OpenLinkAsync(index, cancellationToken).ConfigureAwait(false);
        try
        {
            var reply = await TryRequestOnAsync(link, CommandTable.Login, LoginArguments(user, password), _options.RequestTimeout, cancellationToken).ConfigureAwait(false)
                ?? throw new ChatConnectionException($"{link.Server} closed the connection ({link.EndReason})");
            return CommandTable.Login.Read(reply) switch
            {
                LoginSuccess => link,
                LoginRetryLater or LoginUnavailable => throw new ChatConnectionException($"{link.Server} cannot log in now"),
                var refused => throw new ReconnectRefusedException(refused),
            };
        }
        catch
        {
            await link.CloseAsync().ConfigureAwait(false);
            throw;
        }
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
                await HeartbeatAsync(_disposing.Token).ConfigureAwait(false);
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

/// <summary>One connection to one server: its transport, its two loops, its queue of lines and its unanswered commands.</summary>
internal sealed class Link(IDuplexPipe transport, Func<ValueTask> closeTransport, string server, int index)
{
    private int _closing;

    public IDuplexPipe Transport => transport;

    /// <summary>The server, as <c>host:port</c>.</summary>
    public string Server => server;

    /// <summary>Its place in <see cref="ChatClientOptions.GetServers"/>.</summary>
    public int Index => index;

    public ConcurrentDictionary<string, TaskCompletionSource<ReplyNotice>> Pending { get; } = new();

    // Unbounded, yet bounded in practice: each request waits for its reply, and each acknowledgement answers a message received.
    public Channel<Outgoing> Outgoing { get; } = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });

    public TaskCompletionSource<HelloNotice> Hello { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed once this link is the client's current one; until then its notices wait.</summary>
    public TaskCompletionSource Established { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CancellationTokenSource Closed { get; } = new();

    public string EndReason { get; set; } = "connection-lost";

    /// <summary>Set (under the client's lock) when the receive loop has ended.</summary>
    public bool Ended { get; set; }

    public Task Receiving { get; set; } = Task.CompletedTask;

    public Task Sending { get; set; } = Task.CompletedTask;

    /// <summary>Closes the transport (once) and waits for both loops to end.</summary>
    public async ValueTask CloseAsync()
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            await Closed.CancelAsync().ConfigureAwait(false);
            await closeTransport().ConfigureAwait(false);
        }

        await Receiving.ConfigureAwait(false);
        await Sending.ConfigureAwait(false);
    }
}

/// <summary>A reconnect's login was refused for good (wrong password, locked): stop trying.</summary>
internal sealed class ReconnectRefusedException(LoginResult result) : Exception("the server refused the login")
{
    public LoginResult Result => result;
}
