using System.Text.Json;

namespace ChatRoom.PerfPlot;

/// <summary>One latency run of the load generator: a line of tools/perf/sweep.sh's or run-peers.sh's results.</summary>
internal sealed record LatencyRun(string Label, double OfferedRate, double DeliveredRate, double P99Micros, bool Complete);

/// <summary>The median of a server's runs at one offered load, and their spread.</summary>
internal sealed record PlotPoint(double OfferedRate, double DeliveredRate, double MinDelivered, double MaxDelivered,
    double P99Micros, double MinP99, double MaxP99, bool Complete, int Runs);

/// <summary>One server's points, by offered load.</summary>
internal sealed record PlotSeries(string Label, IReadOnlyList<PlotPoint> Points);

/// <summary>Reads the generator's JSON lines and groups the latency runs into series.</summary>
internal static class LatencyResults
{
    /// <summary>
    /// A drain this short is the generator closing its connections (0.1–0.35 s against the IRC servers), not a
    /// backlog: it is not charged to the delivered rate.
    /// </summary>
    internal const double DrainGraceSeconds = 0.5;

    /// <summary>
    /// The latency runs among <paramref name="lines"/>: meta lines, other scenarios and failed runs (no percentiles)
    /// are left out and counted in <paramref name="skipped"/>. A label's "@suffix" (run-peers.sh's extras write
    /// "ngircd@2000") is dropped, so one server is one series.
    /// </summary>
    public static List<LatencyRun> Read(IEnumerable<string> lines, out int skipped)
    {
        var runs = new List<LatencyRun>();
        skipped = 0;
        foreach (var line in lines)
        {
            if (!line.TrimStart().StartsWith('{'))
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                skipped++;
                continue;
            }

            using (document)
            {
                var row = document.RootElement;
                if (row.ValueKind != JsonValueKind.Object || Text(row, "scenario") != "latency")
                {
                    continue;
                }

                var label = Text(row, "server");
                if (label is null || Number(row, "offered_rate") is not { } offered || Number(row, "p99_us") is not { } p99
                    || DeliveredRate(row) is not { } delivered || offered <= 0)
                {
                    skipped++;
                    continue;
                }

                var at = label.IndexOf('@', StringComparison.Ordinal);
                runs.Add(new LatencyRun(at > 0 ? label[..at] : label, offered, delivered, p99,
                    row.TryGetProperty("complete", out var complete) && complete.ValueKind == JsonValueKind.True));
            }
        }

        return runs;
    }

    /// <summary>One series per label (in order of first appearance), one point per offered load (median of its runs).</summary>
    public static List<PlotSeries> Group(IEnumerable<LatencyRun> runs) =>
        [.. runs.GroupBy(r => r.Label, StringComparer.Ordinal).Select(server => new PlotSeries(server.Key,
            [.. server.GroupBy(r => r.OfferedRate).OrderBy(g => g.Key).Select(load =>
            {
                var delivered = load.Select(r => r.DeliveredRate).Order().ToArray();
                var p99 = load.Select(r => r.P99Micros).Order().ToArray();
                return new PlotPoint(load.Key, Median(delivered), delivered[0], delivered[^1], Median(p99), p99[0], p99[^1],
                    load.All(r => r.Complete), delivered.Length);
            })]))];

    /// <summary>
    /// Messages sent in the measured window over the time it took to deliver them: the window plus the drain after it
    /// (less <see cref="DrainGraceSeconds"/>). The generator's achieved_rate divides by the window alone, crediting a
    /// server that falls behind and catches up in the drain with the offered rate; it is the fallback for lines
    /// without the fields.
    /// </summary>
    private static double? DeliveredRate(JsonElement row)
    {
        if (Number(row, "received_in_window") is { } received && Number(row, "duration_s") is { } window && window > 0
            && Number(row, "drain_s") is { } drain)
        {
            return received / (window + Math.Max(0, drain - DrainGraceSeconds));
        }

        return Number(row, "achieved_rate");
    }

    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    private static string? Text(JsonElement row, string name) =>
        row.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double? Number(JsonElement row, string name) =>
        row.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
