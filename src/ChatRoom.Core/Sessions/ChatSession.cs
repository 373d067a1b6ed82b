using ChatRoom.Messaging;
using ChatRoom.Offline;
using ChatRoom.Presence;

namespace ChatRoom.Sessions;

/// <summary>
/// One logged-in session: who it is, the connection that reaches it, and where its delivery stands. Obtained from
/// <see cref="ISessionManager.LoginAsync"/>; the transport hands it back with every later call for that connection.
/// </summary>
/// <remarks>
/// Direct messages are stored before anything else and read back from the store in sequence order, at most
/// <see cref="ChatRoomOptions.DeliveryWindow"/> of them unacknowledged at a time; the next ones go out as the client
/// acknowledges. A message that arrives while the session is caught up and has room goes out at once, without reading
/// the store again. Nothing in the store is ever skipped or sent twice in one session, whatever is acknowledged,
/// withheld or arrives meanwhile.
/// </remarks>
public sealed class ChatSession
{
    private readonly ISessionConnection _connection;
    private readonly DeliveryContext _context;
    private readonly Lock _gate = new();
    private readonly HashSet<MessageId> _inFlight = [];
    private List<SessionNotice>? _held = [];
    private Dictionary<string, PresenceNotice>? _heldPresence; // before start, the latest per user: a login storm cannot overflow the hold
    private long _cursor;                       // the highest sequence handed over or withheld
    private long _firstLive = long.MaxValue;    // the first sequence announced live; older ones were kept while offline
    private bool _behind;                       // the store may hold messages after the cursor (start reads anyway)
    private bool _pumping;
    private bool _ended;

    internal ChatSession(SessionInfo info, ISessionConnection connection, DeliveryContext context)
    {
        Info = info;
        _connection = connection;
        _context = context;
    }

    /// <summary>The session as presence recorded it at login.</summary>
    public SessionInfo Info { get; }

    /// <summary>The session's id.</summary>
    public SessionId Id => Info.Id;

    /// <summary>The logged-in user.</summary>
    public string User => Info.User;

    /// <summary>False once the session has ended (logged out, displaced, expired or disconnected).</summary>
    public bool IsActive => !Volatile.Read(ref _ended);

    /// <summary>How many direct messages are out with the client, not yet acknowledged.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    internal ISessionConnection Connection => _connection;

    /// <summary>Posts a notice that is not a direct message (presence, broadcast, consent). Held until the session starts.</summary>
    internal PostOutcome Post(SessionNotice notice)
    {
        lock (_gate)
        {
            if (_ended)
            {
                return PostOutcome.Closed;
            }

            if (_held is not null)
            {
                if (notice is PresenceNotice presence)
                {
                    (_heldPresence ??= new(StringComparer.Ordinal))[presence.User] = presence;
                    return PostOutcome.Queued;
                }

                if (_held.Count >= _context.MaxHeldBeforeStart)
                {
                    return PostOutcome.Full;
                }

                _held.Add(notice);
                return PostOutcome.Queued;
            }

            return _connection.TryPost(notice);
        }
    }

    /// <summary>Starts delivery: what was held goes out, then the first window of stored messages.</summary>
    internal async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_ended || _held is null)
            {
                return;
            }

            foreach (var notice in _held)
            {
                _connection.TryPost(notice);
            }

            if (_heldPresence is not null)
            {
                foreach (var presence in _heldPresence.Values)
                {
                    _connection.TryPost(presence);
                }
            }

            _held = null;
            _heldPresence = null;
            _pumping = true;
        }

        await PumpAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A message for this session was just stored as <paramref name="stored"/>. Sends it at once when the session is
    /// caught up and has room; otherwise it waits in the store and follows the earlier ones.
    /// </summary>
    /// <returns>True when it went out now.</returns>
    internal bool Offer(StoredMessage stored)
    {
        var pump = false;
        lock (_gate)
        {
            if (_ended)
            {
                return false;
            }

            _firstLive = Math.Min(_firstLive, stored.Sequence);
            if (stored.Sequence <= _cursor)
            {
                return false; // the store hand-over took it already
            }

            if (_held is null && !_pumping && !_behind && stored.Sequence == _cursor + 1 && _inFlight.Count < _context.Window)
            {
                return Hand(stored) == PostOutcome.Queued;
            }

            // Something comes before it, or the client is busy: it follows from the store, in order.
            _behind = true;
            pump = StartPumpIfIdle();
        }

        if (pump)
        {
            _ = RunPumpAsync();
        }

        return false;
    }

    /// <summary>
    /// The client acknowledged <paramref name="ids"/>: those this session handed over leave the window, and more may go
    /// out. Returns those ids; the rest (never handed over here, or acknowledged already) mean nothing.
    /// </summary>
    internal List<MessageId> Acknowledged(IReadOnlyCollection<MessageId> ids)
    {
        var taken = new List<MessageId>(Math.Min(ids.Count, _context.Window));
        bool pump;
        lock (_gate)
        {
            foreach (var id in ids)
            {
                if (_inFlight.Remove(id))
                {
                    taken.Add(id);
                }
            }

            pump = StartPumpIfIdle();
        }

        if (pump)
        {
            _ = RunPumpAsync();
        }

        return taken;
    }

    /// <summary>
    /// The store may hold messages for this session that were never offered to it (another node's signal was lost):
    /// read it again after the cursor. Nothing is sent twice: the cursor only moves forward.
    /// </summary>
    internal void CatchUp()
    {
        bool pump;
        lock (_gate)
        {
            _behind = true;
            pump = StartPumpIfIdle();
        }

        if (pump)
        {
            _ = RunPumpAsync();
        }
    }

    /// <summary>Ends the session's delivery; exactly one caller gets true.</summary>
    internal bool TryEnd()
    {
        lock (_gate)
        {
            if (_ended)
            {
                return false;
            }

            _ended = true;
            _held = null;
            _heldPresence = null;
            return true;
        }
    }

    // Caller holds _gate.
    private bool StartPumpIfIdle()
    {
        if (_ended || _held is not null || _pumping || !_behind || _inFlight.Count >= _context.Window)
        {
            return false;
        }

        _pumping = true;
        return true;
    }

    // Caller holds _gate. Posting under the gate keeps the connection's order equal to the sequence order. What was
    // stored before the first message announced live to this session was kept while its user was offline.
    private PostOutcome Hand(StoredMessage stored)
    {
        var outcome = _connection.TryPost(new MessageNotice(stored.Message, FromOfflineStore: stored.Sequence < _firstLive));
        if (outcome == PostOutcome.Queued)
        {
            _cursor = stored.Sequence;
            _inFlight.Add(stored.Message.Id);
        }

        return outcome;
    }

    private async Task RunPumpAsync()
    {
        try
        {
            await PumpAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed read leaves the rest in the store; the next acknowledgement or message tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _context.DeliveryFailed(this, ex);
        }
    }

    // Reads the store after the cursor and hands over what fits in the window, until caught up or full. One pump at a
    // time per session (_pumping); whoever finds the session behind with room starts it.
    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                int room;
                long after;
                lock (_gate)
                {
                    room = _context.Window - _inFlight.Count;
                    if (_ended || room <= 0)
                    {
                        _pumping = false;
                        return;
                    }

                    after = _cursor;
                    _behind = false;
                }

                var page = await _context.Store.ReadAsync(User, after, room, cancellationToken).ConfigureAwait(false);
                var withheld = await _context.WithheldAsync(User, page, cancellationToken).ConfigureAwait(false);
                List<ChatMessage>? handed = null;
                lock (_gate)
                {
                    if (_ended)
                    {
                        _pumping = false;
                        return;
                    }

                    foreach (var stored in page)
                    {
                        if (stored.Sequence <= _cursor)
                        {
                            continue;
                        }

                        if (withheld?.Contains(stored.Message.Id) == true)
                        {
                            _cursor = stored.Sequence;
                            continue;
                        }

                        if (Hand(stored) != PostOutcome.Queued)
                        {
                            // The connection is going away; the session ends with it and the rest stays stored.
                            _pumping = false;
                            return;
                        }

                        (handed ??= []).Add(stored.Message);
                    }

                    if (page.Count == room)
                    {
                        _behind = true; // a full page: there may be more
                    }
                }

                _context.Handed(handed);
                if (withheld is not null)
                {
                    await _context.WithholdAsync(User, page, withheld, cancellationToken).ConfigureAwait(false);
                }

                lock (_gate)
                {
                    if (!_behind)
                    {
                        _pumping = false;
                        return;
                    }
                }
            }
        }
        catch
        {
            lock (_gate)
            {
                _pumping = false;
                _behind = true;
            }

            throw;
        }
    }
}
