using System.CommandLine;

namespace ChatRoom.Shared;

/// <summary>How both console apps report bad arguments: one line each on standard error, then exit code 2.</summary>
internal static class CommandLineErrors
{
    public const int BadUsage = 2;

    /// <summary>Prints the parse errors and returns <see cref="BadUsage"/>, or null when there are none.</summary>
    public static int? Report(ParseResult parsed)
    {
        if (parsed.Errors.Count == 0)
        {
            return null;
        }

        foreach (var error in parsed.Errors)
        {
            Console.Error.WriteLine($"error: {error.Message}");
        }

        Console.Error.WriteLine("Try --help.");
        return BadUsage;
    }
}
