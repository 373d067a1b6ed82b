namespace ChatRoom.Auth;

/// <summary>
/// A credential source that can tell whether its checks are costly (a slow hash) or cheap (a digest comparison). Login
/// checks that are cheap need no queue and no per-address share of it; a source that does not say is taken as costly.
/// </summary>
internal interface ICostlyCredentialSource
{
    /// <summary>Whether a password check can take long enough that a flood of them must be queued and shared out.</summary>
    bool ChecksAreCostly { get; }
}
