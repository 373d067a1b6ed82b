namespace ChatRoom.Auth;

/// <summary>
/// The rule every user name follows: 1 to 64 characters, none of them white space, control characters or bidirectional
/// controls (<see cref="Messaging.BidiControls"/>: a name must read as it is), and not starting with <c>#</c> or <c>:</c>
/// (which mark tags and free text on the wire).
/// </summary>
public static class UserNames
{
    /// <summary>Longest accepted user name.</summary>
    public const int MaxLength = 64;

    /// <summary>Whether <paramref name="name"/> is a well-formed user name.</summary>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || name[0] is '#' or ':' || Messaging.BidiControls.ContainsFormattingOrMarks(name))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }
}
