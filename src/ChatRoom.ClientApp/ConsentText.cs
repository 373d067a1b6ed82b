using ChatRoom.Consent;

namespace ChatRoom.ClientApp;

/// <summary>What a person reads when a getaddress ends without an address.</summary>
internal static class ConsentText
{
    /// <summary>One sentence about <paramref name="target"/> and <paramref name="reason"/>.</summary>
    public static string Describe(string target, ConsentRefusal reason) => reason switch
    {
        ConsentRefusal.Offline => $"{target} is offline; use message to leave one",
        ConsentRefusal.Blocked => $"{target} does not accept private chats from you",
        ConsentRefusal.UnknownUser => $"there is no user named {target}",
        ConsentRefusal.Self => "you cannot ask for your own address",
        ConsentRefusal.AlreadyPending => $"you have already asked {target}; wait for the answer",
        ConsentRefusal.Declined => $"{target} declined to chat privately",
        ConsentRefusal.TimedOut => $"{target} did not answer in time",
        ConsentRefusal.TargetLeft => $"{target} left before answering",
        ConsentRefusal.RequesterLeft => "you left before the answer came",
        ConsentRefusal.NoPeerPort => $"{target}'s client does not accept private chats",
        _ => $"{target} refused",
    };
}
