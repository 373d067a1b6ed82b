using System.Net;

namespace ChatRoom.Server;

/// <summary>
/// Counts open connections in total and per IP address, and admits a new one only within
/// <paramref name="maxConnections"/> (<see cref="ChatServerOptions.MaxConnections"/>, lowered to what the process can open) and
/// <see cref="ChatServerOptions.MaxConnectionsPerAddress"/>.
/// </summary>
/// <remarks>Its lock is taken once when a connection opens and once when it closes, never per line.</remarks>
internal sealed class ConnectionLimits(ChatServerOptions options, int maxConnections)
{
    private readonly Dictionary<string, int> _perAddress = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _total;

    /// <summary>The cap on open connections in total.</summary>
    public int MaxConnections => maxConnections;

    /// <summary>The key a remote address is counted under: IPv4-mapped IPv6 as IPv4, any other text as it is.</summary>
    public static string Key(string remoteAddress)
        => IPAddress.TryParse(remoteAddress, out var ip) ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : remoteAddress;

    /// <summary>Admits a connection from <paramref name="key"/>, or returns which limit refuses it (<c>address</c> or <c>server</c>).</summary>
    public string? TryEnter(string key)
    {
        lock (_lock)
        {
            if (_total >= maxConnections)
            {
                return "server";
            }

            _perAddress.TryGetValue(key, out var count);
            if (count >= options.MaxConnectionsPerAddress)
            {
                return "address";
            }

            _perAddress[key] = count + 1;
            _total++;
            return null;
        }
    }

    /// <summary>A connection admitted from <paramref name="key"/> has closed.</summary>
    public void Leave(string key)
    {
        lock (_lock)
        {
            _total--;
            if (_perAddress.TryGetValue(key, out var count) && count > 1)
            {
                _perAddress[key] = count - 1;
            }
            else
            {
                _perAddress.Remove(key);
            }
        }
    }
}
