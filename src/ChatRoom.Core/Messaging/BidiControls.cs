using System.Buffers;

namespace ChatRoom.Messaging;

/// <summary>
/// The Unicode characters that change the display order of the text around them. The embeddings, overrides and isolates
/// (U+202A–U+202E, U+2066–U+2069) can make text read differently from what it is ("Trojan Source"), so ChatRoom refuses
/// them in user names and message texts. The marks (U+200E, U+200F, U+061C) only set the direction of neighbouring
/// punctuation; right-to-left writers use them, so they are allowed in texts, but not in names, which identify people.
/// </summary>
public static class BidiControls
{
    private static readonly SearchValues<char> s_formatting = SearchValues.Create("\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069");
    private static readonly SearchValues<char> s_formattingAndMarks = SearchValues.Create("\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C");

    /// <summary>Whether <paramref name="text"/> holds an embedding, override or isolate character (U+202A–U+202E, U+2066–U+2069).</summary>
    public static bool ContainsFormatting(ReadOnlySpan<char> text) => text.ContainsAny(s_formatting);

    /// <summary>Whether <paramref name="text"/> holds any of those or a directional mark (U+200E, U+200F, U+061C).</summary>
    public static bool ContainsFormattingOrMarks(ReadOnlySpan<char> text) => text.ContainsAny(s_formattingAndMarks);
}
