namespace ChatRoom.Consent;

/// <summary>Why a getaddress ended without an address.</summary>
public enum ConsentRefusal
{
    /// <summary>The target is not a known user.</summary>
    UnknownUser,

    /// <summary>The requester asked for their own address.</summary>
    Self,

    /// <summary>The target is offline.</summary>
    Offline,

    /// <summary>The target has blocked the requester (the target was not asked).</summary>
    Blocked,

    /// <summary>The requester already has a question open to this target.</summary>
    AlreadyPending,

    /// <summary>The target said no.</summary>
    Declined,

    /// <summary>The target did not answer within the consent timeout.</summary>
    TimedOut,

    /// <summary>The target's session ended while the question was open.</summary>
    TargetLeft,

    /// <summary>The requester's session ended while the question was open.</summary>
    RequesterLeft,

    /// <summary>The target's client does not accept peer connections (it told the server no port).</summary>
    NoPeerPort,
}
