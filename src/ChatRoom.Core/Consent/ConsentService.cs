using System.Collections.Concurrent;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Events;
using ChatRoom.Presence;
using ChatRoom.Sessions;
using Microsoft.Extensions.Options;

namespace ChatRoom.Consent;

internal sealed class ConsentService : IConsentService, IDisposable
{
    private readonly ConcurrentDictionary<(string Requester, string Target), Pending> _pending = new();
    private readonly IPresenceService _presence;
    private readonly IBlacklistService _blacklist;
    private readonly ICredentialSource _users;
    private readonly SessionRegistry _sessions;
    private readonly TimeProvider _time;
    private readonly ChatEventPublisher _events;
    private readonly IOptionsMonitor<ChatRoomOptions> _options;

    public ConsentService(
        IPresenceService presence,
        IBlacklistService blacklist,
        ICredentialSource users,
        SessionRegistry sessions,
        TimeProvider time,
        ChatEventPublisher events,
        IOptionsMonitor<ChatRoomOptions> options)
    {
        _presence = presence;
        _blacklist = blacklist;
        _users = users;
        _sessions = sessions;
        _time = time;
        _events = events;
        _options = options;
    }

    internal int OpenQuestions => _pending.Count;

    public async ValueTask<ConsentRequestResult> RequestAsync(SessionInfo requester, string target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requester);
        var refusal = await CheckRequestAsync(requester.User, target, cancellationToken).ConfigureAwait(false);
        SessionInfo? targetSession = null;
        if (refusal is null)
        {
            targetSession = await _presence.FindAsync(target, cancellationToken).ConfigureAwait(false);
            refusal = targetSession is null ? ConsentRefusal.Offline : null;
        }

        if (refusal is null)
        {
            var pending = new Pending(requester, targetSession!);
            if (!_pending.TryAdd((requester.User, target), pending))
            {
                refusal = ConsentRefusal.AlreadyPending;
            }
            else
            {
                pending.Timer = _time.CreateTimer(_ => Resolve(pending, ConsentRefusal.TimedOut), null, _options.CurrentValue.ConsentTimeout, Timeout.InfiniteTimeSpan);
                _events.Publish(new ConsentAsked(_time.GetUtcNow(), requester.User, target));
                if (!_sessions.Post(targetSession!.Id, new ConsentRequestNotice(requester.User)))
                {
                    Resolve(pending, ConsentRefusal.TargetLeft);
                }

                return new ConsentRequestResult(Asked: true);
            }
        }

        _events.Publish(new ConsentRefused(_time.GetUtcNow(), requester.User, target, refusal.Value));
        return new ConsentRequestResult(Asked: false, refusal);
    }

    public async ValueTask<ConsentAnswerResult> AnswerAsync(SessionInfo target, string requester, bool allow, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var key = (requester, target.User);
        if (!_pending.TryGetValue(key, out var pending) || pending.Target.Id != target.Id || !TryTake(pending))
        {
            return ConsentAnswerResult.NoSuchRequest;
        }

        if (!allow)
        {
            Refuse(pending, ConsentRefusal.Declined);
            return ConsentAnswerResult.Applied;
        }

        // The port comes from the target's current session, which may have logged in again since it was asked.
        var current = await _presence.FindAsync(target.User, cancellationToken).ConfigureAwait(false);
        if (current?.Id != target.Id)
        {
            Refuse(pending, ConsentRefusal.TargetLeft);
        }
        else if (current.PeerPort is not { } port)
        {
            Refuse(pending, ConsentRefusal.NoPeerPort);
        }
        else
        {
            var now = _time.GetUtcNow();
            var grant = PeerGrant.Create(requester, target.User, now + _options.CurrentValue.PeerGrantLifetime);
            _sessions.Post(pending.Requester.Id, new AddressGrantedNotice(grant, current.PeerAddress ?? current.RemoteAddress, port) { PeerPin = current.PeerPin });
            _sessions.Post(target.Id, new ConsentConfirmedNotice(grant));
            _events.Publish(new ConsentGiven(now, requester, target.User));
        }

        return ConsentAnswerResult.Applied;
    }

    public void SessionEnded(SessionInfo session)
    {
        ArgumentNullException.ThrowIfNull(session);
        foreach (var pending in _pending.Values)
        {
            if (pending.Target.Id == session.Id)
            {
                Resolve(pending, ConsentRefusal.TargetLeft);
            }
            else if (pending.Requester.Id == session.Id)
            {
                Resolve(pending, ConsentRefusal.RequesterLeft);
            }
        }
    }

    public void Dispose()
    {
        foreach (var pending in _pending.Values)
        {
            pending.Timer?.Dispose();
        }
    }

    private async ValueTask<ConsentRefusal?> CheckRequestAsync(string requester, string target, CancellationToken cancellationToken)
    {
        if (string.Equals(requester, target, StringComparison.Ordinal))
        {
            return ConsentRefusal.Self;
        }

        if (!await _users.ExistsAsync(target, cancellationToken).ConfigureAwait(false))
        {
            return ConsentRefusal.UnknownUser;
        }

        // A blocker is never asked, and never learns that the blocked user tried.
        return await _blacklist.HasBlockedAsync(target, requester, cancellationToken).ConfigureAwait(false) ? ConsentRefusal.Blocked : null;
    }

    private void Resolve(Pending pending, ConsentRefusal reason)
    {
        if (TryTake(pending))
        {
            Refuse(pending, reason);
        }
    }

    // Exactly one of answer, timeout and session end wins the question.
    private bool TryTake(Pending pending)
    {
        if (!_pending.TryRemove(new KeyValuePair<(string, string), Pending>((pending.Requester.User, pending.Target.User), pending)))
        {
            return false;
        }

        pending.Timer?.Dispose();
        return true;
    }

    private void Refuse(Pending pending, ConsentRefusal reason)
    {
        if (reason != ConsentRefusal.RequesterLeft)
        {
            _sessions.Post(pending.Requester.Id, new ConsentRefusedNotice(pending.Target.User, reason));
        }

        _events.Publish(new ConsentRefused(_time.GetUtcNow(), pending.Requester.User, pending.Target.User, reason));
    }

    private sealed class Pending(SessionInfo requester, SessionInfo target)
    {
        public SessionInfo Requester { get; } = requester;

        public SessionInfo Target { get; } = target;

        public ITimer? Timer { get; set; }
    }
}
