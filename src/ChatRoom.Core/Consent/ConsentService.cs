using System.Collections.Concurrent;
using ChatRoom.Auth;
using ChatRoom.Blocking;
using ChatRoom.Cluster;
using ChatRoom.Events;
using ChatRoom.Presence;
using ChatRoom.Sessions;
using Microsoft.Extensions.Options;

namespace ChatRoom.Consent;

internal sealed class ConsentService : IConsentService, IDisposable
{
    // The questions this node asked, each with its timeout; who wins a question is the directory's to say.
    private readonly ConcurrentDictionary<Guid, Asked> _asked = new();
    private readonly IConsentDirectory _directory;
    private readonly IPresenceService _presence;
    private readonly IBlacklistService _blacklist;
    private readonly ICredentialSource _users;
    private readonly ClusterSessions _sessions;
    private readonly TimeProvider _time;
    private readonly ChatEventPublisher _events;
    private readonly IOptionsMonitor<ChatRoomOptions> _options;

    public ConsentService(
        IConsentDirectory directory,
        IPresenceService presence,
        IBlacklistService blacklist,
        ICredentialSource users,
        ClusterSessions sessions,
        TimeProvider time,
        ChatEventPublisher events,
        IOptionsMonitor<ChatRoomOptions> options)
    {
        _directory = directory;
        _presence = presence;
        _blacklist = blacklist;
        _users = users;
        _sessions = sessions;
        _time = time;
        _events = events;
        _options = options;
    }

    internal int OpenQuestions => _asked.Count;

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
            var timeout = _options.CurrentValue.ConsentTimeout;
            var question = new ConsentQuestion(Guid.NewGuid(), requester, targetSession!);

            // The directory keeps it a little past the timeout: this node's timer removes it, unless this node dies.
            if (!await _directory.TryAddAsync(question, timeout + timeout, cancellationToken).ConfigureAwait(false))
            {
                refusal = ConsentRefusal.AlreadyPending;
            }
            else
            {
                var asked = new Asked(question);
                _asked[question.Id] = asked;
                asked.Timer = _time.CreateTimer(_ => Resolve(question, ConsentRefusal.TimedOut), null, timeout, Timeout.InfiniteTimeSpan);
                _events.Publish(new ConsentAsked(_time.GetUtcNow(), requester.User, target));
                if (!await _sessions.PostAsync(targetSession!, new ConsentRequestNotice(requester.User), cancellationToken).ConfigureAwait(false))
                {
                    await ResolveAsync(question, ConsentRefusal.TargetLeft).ConfigureAwait(false);
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
        if (await _directory.TryTakeAsync(requester, target.User, target.Id, cancellationToken).ConfigureAwait(false) is not { } question)
        {
            return ConsentAnswerResult.NoSuchRequest;
        }

        Forget(question);
        if (!allow)
        {
            await RefuseAsync(question, ConsentRefusal.Declined).ConfigureAwait(false);
            return ConsentAnswerResult.Applied;
        }

        // The port comes from the target's current session, which may have logged in again since it was asked.
        var current = await _presence.FindAsync(target.User, cancellationToken).ConfigureAwait(false);
        if (current?.Id != target.Id)
        {
            await RefuseAsync(question, ConsentRefusal.TargetLeft).ConfigureAwait(false);
        }
        else if (current.PeerPort is not { } port)
        {
            await RefuseAsync(question, ConsentRefusal.NoPeerPort).ConfigureAwait(false);
        }
        else
        {
            var now = _time.GetUtcNow();
            var grant = PeerGrant.Create(requester, target.User, now + _options.CurrentValue.PeerGrantLifetime);
            await _sessions.PostAsync(question.Requester, new AddressGrantedNotice(grant, current.PeerAddress ?? current.RemoteAddress, port) { PeerPin = current.PeerPin }, cancellationToken).ConfigureAwait(false);
            await _sessions.PostAsync(target, new ConsentConfirmedNotice(grant), cancellationToken).ConfigureAwait(false);
            _events.Publish(new ConsentGiven(now, requester, target.User));
        }

        return ConsentAnswerResult.Applied;
    }

    public void SessionEnded(SessionInfo session)
    {
        ArgumentNullException.ThrowIfNull(session);
        foreach (var asked in _asked.Values)
        {
            var question = asked.Question;
            if (question.Target.Id == session.Id)
            {
                Resolve(question, ConsentRefusal.TargetLeft);
            }
            else if (question.Requester.Id == session.Id)
            {
                Resolve(question, ConsentRefusal.RequesterLeft);
            }
        }
    }

    public void Dispose()
    {
        foreach (var asked in _asked.Values)
        {
            asked.Timer?.Dispose();
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

    // From a timer or a session's end, which cannot wait: the in-memory directory finishes at once; a shared one that
    // fails leaves the question to its lifetime, and the requester to its own timeout.
    private void Resolve(ConsentQuestion question, ConsentRefusal reason) => _ = ResolveAsync(question, reason).AsTask();

    // Exactly one of answer, timeout and session end wins the question.
    private async ValueTask ResolveAsync(ConsentQuestion question, ConsentRefusal reason)
    {
        try
        {
            var won = await _directory.TryRemoveAsync(question).ConfigureAwait(false);
            Forget(question);
            if (won)
            {
                await RefuseAsync(question, reason).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // See Resolve: a directory that cannot be reached is left to the question's lifetime.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private void Forget(ConsentQuestion question)
    {
        if (_asked.TryRemove(question.Id, out var asked))
        {
            asked.Timer?.Dispose();
        }
    }

    private async ValueTask RefuseAsync(ConsentQuestion question, ConsentRefusal reason)
    {
        if (reason != ConsentRefusal.RequesterLeft)
        {
            await _sessions.PostAsync(question.Requester, new ConsentRefusedNotice(question.Target.User, reason)).ConfigureAwait(false);
        }

        _events.Publish(new ConsentRefused(_time.GetUtcNow(), question.Requester.User, question.Target.User, reason));
    }

    private sealed class Asked(ConsentQuestion question)
    {
        public ConsentQuestion Question { get; } = question;

        public ITimer? Timer { get; set; }
    }
}
