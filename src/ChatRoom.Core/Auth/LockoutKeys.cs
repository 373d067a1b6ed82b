namespace ChatRoom.Auth;

/// <summary>
/// The keys the auth service keeps lockout states under. Each kind starts with its own word, and an address never holds a
/// space, so no two kinds (and no two names or addresses) can share a key, even for malformed names.
/// </summary>
internal static class LockoutKeys
{
    /// <summary>A user name tried from one address: the course rule (three failures lock it for that address).</summary>
    public static string NameFromAddress(string user, string address) => $"from {address} {user}";

    /// <summary>Every name tried from one address: the per-address limit.</summary>
    public static string Address(string address) => "address " + address;

    /// <summary>One user name tried from every address: the slowdown.</summary>
    public static string Name(string user) => "name " + user;
}
