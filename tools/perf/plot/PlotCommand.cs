namespace ChatRoom.PerfPlot;

/// <summary>The command line: results files in, one SVG out.</summary>
internal static class PlotCommand
{
    public const string Usage = """
        usage: plot [--out plot.svg] [--title TEXT] [--note TEXT] RESULTS.jsonl...
          Reads the load generator's latency lines (tools/perf/sweep.sh's results, run-peers.sh's results.jsonl or
          extras.jsonl) and draws delivered msgs/s and p99 latency against offered load, one series per server label.
        """;

    /// <summary>Runs the command; returns the process exit code (0 drawn, 1 nothing to draw or a file missing, 2 usage).</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var files = new List<string>();
        var outPath = "plot.svg";
        var title = "ChatRoom: throughput and p99 latency against offered load";
        string? note = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                output.Write(Usage);
                return 0;
            }

            if (arg is "--out" or "--title" or "--note")
            {
                if (i + 1 >= args.Count)
                {
                    error.WriteLine($"error: {arg} needs a value");
                    error.Write(Usage);
                    return 2;
                }

                var value = args[++i];
                if (arg == "--out")
                {
                    outPath = value;
                }
                else if (arg == "--title")
                {
                    title = value;
                }
                else
                {
                    note = value;
                }

                continue;
            }

            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                error.WriteLine($"error: unknown option {arg}");
                error.Write(Usage);
                return 2;
            }

            files.Add(arg);
        }

        if (files.Count == 0)
        {
            error.Write(Usage);
            return 2;
        }

        var runs = new List<LatencyRun>();
        foreach (var file in files)
        {
            if (!File.Exists(file))
            {
                error.WriteLine($"error: no such file: {file}");
                return 1;
            }

            runs.AddRange(LatencyResults.Read(File.ReadLines(file), out var skipped));
            if (skipped > 0)
            {
                error.WriteLine($"{file}: {skipped} line(s) without a latency result left out (failed runs or bad JSON)");
            }
        }

        var series = LatencyResults.Group(runs);
        if (series.Count == 0)
        {
            error.WriteLine($"error: no latency results in {string.Join(", ", files)}");
            return 1;
        }

        using (var stream = File.Create(outPath))
        {
            SvgChart.Write(series, stream, title, note);
        }

        output.WriteLine($"wrote {outPath}: {string.Join(", ", series.Select(s => $"{s.Label} ({s.Points.Count} loads)"))}");
        return 0;
    }
}
