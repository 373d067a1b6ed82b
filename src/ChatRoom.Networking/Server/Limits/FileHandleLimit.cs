using System.Globalization;

namespace ChatRoom.Server;

/// <summary>
/// Keeps <see cref="ChatServerOptions.MaxConnections"/> inside what the operating system lets this process open. Out of
/// file handles, accepting fails, and the runtime itself starts failing (loading an assembly, making a timer): the
/// process dies. So the connection cap is lowered to the process's open-file limit less a reserve for the runtime, the
/// data file, logs and the connections being refused.
/// </summary>
internal static class FileHandleLimit
{
    /// <summary>Handles kept for everything but client connections: the runtime alone holds about 160 after start.</summary>
    public const int Reserve = 256;

    /// <summary>The connection cap this process can honour, and the open-file limit it was derived from (null where unknown).</summary>
    public static (int MaxConnections, long? OpenFileLimit) Cap(int configured, string limitsFile = "/proc/self/limits")
    {
        var limit = ReadOpenFileLimit(limitsFile);
        if (limit is not { } files)
        {
            return (configured, null);
        }

        var room = (int)Math.Clamp(files - Reserve, 1, int.MaxValue);
        return (Math.Min(configured, room), files);
    }

    /// <summary>The soft limit on open files from a Linux <c>limits</c> file; null when there is none or it says unlimited.</summary>
    internal static long? ReadOpenFileLimit(string limitsFile)
    {
        try
        {
            foreach (var line in File.ReadLines(limitsFile))
            {
                // "Max open files            1024                 4096                 files"
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or no /proc: nothing to go by.
        }

        return null;
    }
}
