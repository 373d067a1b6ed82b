using ChatRoom.Consent;
using ChatRoom.Messaging;

namespace ChatRoom.Sessions;

/// <summary>Something the core tells an online session. One instance may be shared by many sessions (a broadcast, a presence change).</summary>
public abstract record SessionNotice
{
    private object? _encoded;

    /// <summary>Creates a notice.</summary>
    protected SessionNotice()
    {
    }

    /// <summary>Copies <paramref name="original"/> (for <c>with</c>); the copy may differ, so it does not take the encoded form.</summary>
    /// <param name="original">The notice copied.</param>
    protected SessionNotice(SessionNotice original)
    {
        ArgumentNullException.ThrowIfNull(original);
    }

    /// <summary>
    /// This notice in a transport's encoding, made by <paramref name="encode"/> on first use and kept: a notice posted to
    /// many sessions (a broadcast, a presence change) is then encoded once, not once per recipient. Safe to call from
    /// several threads; the first encoding kept wins. Not part of the notice's value (equality ignores it).
    /// </summary>
    /// <typeparam name="TEncoded">The encoded form, for example the bytes of a protocol line.</typeparam>
    /// <param name="encode">Encodes this notice; must give the same result whenever it is called.</param>
    /// <returns>The kept encoding, or a fresh one if another transport's encoding of another type was kept first.</returns>
    public TEncoded GetEncoded<TEncoded>(Func<SessionNotice, TEncoded> encode)
        where TEncoded : class
    {
        ArgumentNullException.ThrowIfNull(encode);
        if (Volatile.Read(ref _encoded) is TEncoded kept)
        {
            return kept;
        }

        var fresh = encode(this);
        return Interlocked.CompareExchange(ref _encoded, fresh, null) switch
        {
            null => fresh,
            TEncoded first => first,
            _ => fresh,
        };
    }

    /// <inheritdoc />
    public virtual bool Equals(SessionNotice? other) => ReferenceEquals(this, other) || (other is not null && EqualityContract == other.EqualityContract);

    /// <inheritdoc />
    public override int GetHashCode() => EqualityContract.GetHashCode();
}

/// <summary>A message for the session's user.</summary>
/// <param name="Message">The message.</param>
/// <param name="FromOfflineStore">True when it waited in offline storage.</param>
public sealed record MessageNotice(ChatMessage Message, bool FromOfflineStore) : SessionNotice;

/// <summary>Another user came online or went offline.</summary>
public sealed record PresenceNotice(string User, bool Online) : SessionNotice;

/// <summary>Asks the session's user whether <paramref name="Requester"/> may have their address.</summary>
public sealed record ConsentRequestNotice(string Requester) : SessionNotice;

/// <summary>Tells a requester that consent was given: the target's address and the grant to present.</summary>
public sealed record AddressGrantedNotice(PeerGrant Grant, string Address, int Port) : SessionNotice
{
    /// <summary>The SHA-256 pin of the certificate the target's peer port speaks TLS with; null when it speaks plain TCP.</summary>
    public string? PeerPin { get; init; }
}

/// <summary>Tells the target that its consent took effect: the grant the requester will present.</summary>
public sealed record ConsentConfirmedNotice(PeerGrant Grant) : SessionNotice;

/// <summary>Tells a requester that getaddress ended without an address.</summary>
public sealed record ConsentRefusedNotice(string Target, ConsentRefusal Reason) : SessionNotice;
