using System.Buffers;
using ChatRoom.Messaging;
using ChatRoom.Routing;

namespace ChatRoom.Protocol.Commands;

/// <summary>What <c>message</c> and <c>broadcast</c> share: the check on their text and the errors of a refused message, both ways.</summary>
internal static class MessageRefusals
{
    // What char.IsControl says (U+0000-U+001F, U+007F-U+009F), tab excepted; searched without a LINQ enumerator per message.
    private static readonly SearchValues<char> s_controlsButTab = SearchValues.Create(
        [.. Enumerable.Range(0, 0xA0).Select(c => (char)c).Where(c => char.IsControl(c) && c != '\t')]);

    /// <summary>What is wrong with <paramref name="text"/> as message text, or null.</summary>
    public static string? CheckText(string text)
        => text.AsSpan().ContainsAny(s_controlsButTab) ? "text may not contain control characters"
        : BidiControls.ContainsFormatting(text) ? "text may not contain bidirectional embedding, override or isolate characters (U+202A-U+202E, U+2066-U+2069)"
        : null;

    /// <summary>The error line for a message to <paramref name="to"/> refused for <paramref name="reason"/>.</summary>
    public static ReplyNotice Encode(CommandRequest request, RefusalReason reason, string to) => reason switch
    {
        RefusalReason.Blocked => ReplyNotice.Failure(request.Tag, ErrorCodes.Blocked, $"{to} has blocked you; your message was not sent"),
        RefusalReason.UnknownUser => ReplyNotice.Failure(request.Tag, ErrorCodes.UnknownUser, $"there is no user named {to}"),
        RefusalReason.Empty => ReplyNotice.Failure(request.Tag, ErrorCodes.EmptyMessage, "the message is empty"),
        RefusalReason.MailboxFull => ReplyNotice.Failure(request.Tag, ErrorCodes.MailboxFull, [to],
            $"{to} has too many unread messages waiting; your message was not stored, try again later"),
        _ => ReplyNotice.Failure(request.Tag, ErrorCodes.MessageTooLong, $"the message is longer than {request.Services.Options.CurrentValue.MaxMessageBytes} bytes"),
    };

    /// <summary>The reason in an error line, or null for an error that is not a refusal.</summary>
    public static RefusalReason? Decode(ReplyNotice reply) => reply.Head switch
    {
        ErrorCodes.Blocked => RefusalReason.Blocked,
        ErrorCodes.UnknownUser => RefusalReason.UnknownUser,
        ErrorCodes.EmptyMessage or ErrorCodes.MissingArgument => RefusalReason.Empty,
        ErrorCodes.MessageTooLong => RefusalReason.TooLong,
        ErrorCodes.MailboxFull => RefusalReason.MailboxFull,
        _ => null,
    };
}
