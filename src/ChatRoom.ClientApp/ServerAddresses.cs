using System.Globalization;
using System.Net;

namespace ChatRoom.ClientApp;

/// <summary>
/// The servers named on the command line: the classic <c>HOST PORT</c>, or one or more <c>HOST:PORT</c> (IPv6 in
/// brackets, <c>[::1]:5566</c>), tried in order and reconnected to in turn.
/// </summary>
internal static class ServerAddresses
{
    /// <summary>Reads <paramref name="words"/>; returns the servers, or null with <paramref name="error"/> saying what is wrong.</summary>
    public static IReadOnlyList<DnsEndPoint>? Parse(IReadOnlyList<string> words, out string error)
    {
        ArgumentNullException.ThrowIfNull(words);
        error = string.Empty;

        // "localhost 5566": a bare port after a host without one.
        if (words.Count == 2 && IsPort(words[1], out var classicPort) && !words[0].Contains(':', StringComparison.Ordinal))
        {
            return [new DnsEndPoint(words[0], classicPort)];
        }

        var servers = new List<DnsEndPoint>();
        foreach (var word in words)
        {
            var colon = word.LastIndexOf(':');
            var host = colon > 0 ? word[..colon] : string.Empty;
            var bracketed = host.StartsWith('[') && host.EndsWith(']');
            if (bracketed)
            {
                host = host[1..^1];
            }

            // An IPv6 address only in brackets: "::1:5566" could be an address without a port.
            if (host.Length == 0 || !IsPort(word[(colon + 1)..], out var port) || (host.Contains(':', StringComparison.Ordinal) != bracketed) || (bracketed && !IPAddress.TryParse(host, out _)))
            {
                error = $"'{word}' is not a server: give HOST PORT, or one or more HOST:PORT (an IPv6 address in brackets: [::1]:5566)";
                return null;
            }

            servers.Add(new DnsEndPoint(host, port));
        }

        return servers;
    }

    private static bool IsPort(string text, out int port)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
}
