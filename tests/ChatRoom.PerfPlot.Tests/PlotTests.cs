using System.Xml.Linq;

namespace ChatRoom.PerfPlot.Tests;

public sealed class PlotTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly string Sample = Path.Combine(AppContext.BaseDirectory, "sample.jsonl");
    private readonly string _folder = Directory.CreateTempSubdirectory("perfplot-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_committed_sample_becomes_a_well_formed_svg_with_one_series_per_server_in_each_panel()
    {
        var (code, svg, _) = Plot(Sample);

        Assert.Equal(0, code);
        Assert.Equal(Svg + "svg", svg.Root!.Name);
        var panels = svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "panel").ToList();
        Assert.Equal(["delivered msgs/s", "p99 latency"], panels.Select(p => (string?)p.Attribute("data-y")));
        foreach (var panel in panels)
        {
            var series = panel.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "series").ToList();
            Assert.Equal(["chatroom", "ngircd"], series.Select(s => (string?)s.Attribute("data-label")));
            Assert.All(series, s => Assert.Equal(3, s.Elements(Svg + "circle").Count()));
            Assert.All(series, s => Assert.Single(s.Elements(Svg + "polyline")));
        }

        var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("offered load (msgs/s, log scale)", texts);
        Assert.Contains("delivered msgs/s (log scale)", texts);
        Assert.Contains("p99 latency (log scale)", texts);
        Assert.Contains("chatroom", svg.Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "legend").Descendants(Svg + "text").Select(t => t.Value));
    }

    [Fact]
    public void An_incomplete_run_is_drawn_hollow_in_both_panels()
    {
        var (_, svg, _) = Plot(Sample);

        var hollow = svg.Descendants(Svg + "circle").Where(c => (string?)c.Attribute("class") == "point incomplete").ToList();
        Assert.Equal(2, hollow.Count);
        Assert.All(hollow, c => Assert.Equal("white", (string?)c.Attribute("fill")));
        Assert.All(hollow, c => Assert.StartsWith("chatroom: offered 100k/s", c.Element(Svg + "title")!.Value, StringComparison.Ordinal));
    }

    [Fact]
    public void Failed_runs_other_scenarios_meta_and_comment_lines_are_left_out()
    {
        var runs = LatencyResults.Read(File.ReadLines(Sample), out var skipped);

        Assert.Equal(7, runs.Count);
        Assert.Equal(1, skipped);
        Assert.DoesNotContain(runs, r => r.OfferedRate == 50_000);
    }

    [Fact]
    public void Run_peers_labels_lose_their_rate_suffix_so_one_server_is_one_series()
    {
        var runs = LatencyResults.Read(File.ReadLines(Sample), out _);

        var series = LatencyResults.Group(runs);

        Assert.Equal(["chatroom", "ngircd"], series.Select(s => s.Label));
        Assert.Equal([2_000, 20_000, 100_000], series[1].Points.Select(p => p.OfferedRate));
    }

    [Fact]
    public void Repeated_runs_at_one_load_plot_their_median_and_spread()
    {
        var series = LatencyResults.Group(LatencyResults.Read(File.ReadLines(Sample), out _));

        var point = series.Single(s => s.Label == "ngircd").Points[0];

        Assert.Equal(2, point.Runs);
        Assert.Equal((1080.4 + 1240.8) / 2, point.P99Micros, 6);
        Assert.Equal(1080.4, point.MinP99);
        Assert.Equal(1240.8, point.MaxP99);
    }

    [Fact]
    public void A_server_that_catches_up_after_the_window_is_charged_the_drain_time()
    {
        var runs = LatencyResults.Read(File.ReadLines(Sample), out _);

        var behind = runs.Single(r => r.Label == "chatroom" && r.OfferedRate == 20_000);
        var keepingUp = runs.Single(r => r.Label == "ngircd" && r.OfferedRate == 20_000);

        // 200,006 messages over the 10 s window plus 7.97 s of drain (less the 0.5 s grace), not achieved_rate's 20,000.6.
        Assert.Equal(200_006 / (10 + 7.97 - LatencyResults.DrainGraceSeconds), behind.DeliveredRate, 6);
        Assert.Equal(20_000.4, keepingUp.DeliveredRate, 6);
    }

    [Fact]
    public void Labels_with_markup_characters_keep_the_svg_well_formed()
    {
        var file = Path.Combine(_folder, "odd.jsonl");
        File.WriteAllText(file, """
            {"scenario":"latency","server":"a<b & \"c\"","offered_rate":1000,"received_in_window":10000,"duration_s":10,"drain_s":0.1,"p99_us":900,"complete":true}
            {"scenario":"latency","server":"a<b & \"c\"","offered_rate":5000,"received_in_window":50000,"duration_s":10,"drain_s":0.1,"p99_us":1900,"complete":true}
            """);

        var (code, svg, _) = Plot(file);

        Assert.Equal(0, code);
        Assert.Contains(svg.Descendants(Svg + "g"), g => (string?)g.Attribute("data-label") == "a<b & \"c\"");
    }

    [Fact]
    public void A_file_without_latency_results_is_an_error_and_writes_no_svg()
    {
        var file = Path.Combine(_folder, "direct-only.jsonl");
        File.WriteAllText(file, """{"scenario":"direct","server":"chatroom","complete":true}""");
        var output = Path.Combine(_folder, "none.svg");
        var error = new StringWriter();

        var code = PlotCommand.Run([file, "--out", output], TextWriter.Null, error);

        Assert.Equal(1, code);
        Assert.Contains("no latency results", error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData(500, "500")]
    [InlineData(2_000, "2k")]
    [InlineData(100_000, "100k")]
    [InlineData(1_500_000, "1.5M")]
    public void Rates_are_labelled_short(double rate, string label) => Assert.Equal(label, LogAxis.FormatRate(rate));

    [Theory]
    [InlineData(200, "200 µs")]
    [InlineData(1_500, "1.5 ms")]
    [InlineData(7_677_214, "7.677 s")]
    public void Latencies_are_labelled_in_the_unit_that_fits(double micros, string label) => Assert.Equal(label, LogAxis.FormatMicros(micros));

    [Fact]
    public void A_log_axis_places_values_by_their_logarithm_between_1_2_5_steps()
    {
        var axis = new LogAxis(1_000, 100_000);

        Assert.Equal(1_000, axis.Low, 6);
        Assert.Equal(100_000, axis.High, 6);
        Assert.Equal(0.5, axis.Fraction(10_000), 6);
        Assert.Equal([1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000], axis.Ticks().Select(t => Math.Round(t.Value)));
    }

    [Theory]
    [InlineData(999.7, 20_000, 1_000, 20_000)]
    [InlineData(1_300, 17_000, 1_000, 20_000)]
    [InlineData(9_764, 100_000, 5_000, 100_000)]
    [InlineData(120, 7_700_000, 100, 10_000_000)]
    public void A_log_axis_ends_at_the_nearest_1_2_5_steps_around_its_values(double min, double max, double low, double high)
    {
        var axis = new LogAxis(min, max);

        Assert.Equal(low, axis.Low, 6);
        Assert.Equal(high, axis.High, 6);
    }

    private (int Code, XDocument Svg, string Error) Plot(string results)
    {
        var output = Path.Combine(_folder, "plot.svg");
        var error = new StringWriter();
        var code = PlotCommand.Run([results, "--out", output, "--note", "test"], TextWriter.Null, error);
        return (code, code == 0 ? XDocument.Load(output) : new XDocument(), error.ToString());
    }
}
