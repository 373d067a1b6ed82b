using ChatRoom.Fuzz;
using SharpFuzz;

// One fuzz target per run: `ChatRoom.Fuzz <target>` under afl-fuzz (tools/fuzz/run.sh), or
// `ChatRoom.Fuzz <target> FILE...` to replay inputs (a crash found by AFL, the seed corpus) without AFL.
if (args.Length == 0 || !Targets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: ChatRoom.Fuzz <{string.Join('|', Targets.All.Keys)}> [FILE...]");
    return 2;
}

if (args.Length > 1)
{
    var failed = 0;
    foreach (var file in args.Skip(1))
    {
        try
        {
            target(File.ReadAllBytes(file));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failed++;
            Console.Error.WriteLine($"{file}: {ex}");
        }
    }

    return failed == 0 ? 0 : 1;
}

// Persistent mode: one process runs many inputs; an escaping exception is reported to AFL as a crash.
Fuzzer.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    target(copy.ToArray());
});
return 0;
