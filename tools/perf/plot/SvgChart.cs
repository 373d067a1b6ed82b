using System.Globalization;
using System.Text;
using System.Xml;

namespace ChatRoom.PerfPlot;

/// <summary>
/// Two log-log panels side by side, one series per server: delivered msgs/s against offered load (with the ideal
/// delivered = offered line) and p99 latency against offered load. Filled markers are complete runs, hollow ones
/// incomplete; a vertical bar spans the runs' min and max when a load was run more than once.
/// </summary>
internal static class SvgChart
{
    private const string Svg = "http://www.w3.org/2000/svg";
    private const double Width = 1000;
    private const double Height = 480;
    private const double Top = 80;
    private const double PanelWidth = 380;
    private const double PanelHeight = 290;
    private static readonly double[] PanelLeft = [90, 590];
    private static readonly string[] Colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"];

    /// <summary>Writes the chart as a UTF-8 SVG document.</summary>
    /// <exception cref="ArgumentException"><paramref name="series"/> holds no point.</exception>
    public static void Write(IReadOnlyList<PlotSeries> series, Stream output, string title, string? note)
    {
        var points = series.SelectMany(s => s.Points).ToList();
        if (points.Count == 0)
        {
            throw new ArgumentException("nothing to plot", nameof(series));
        }

        var offered = new LogAxis(points.Min(p => p.OfferedRate), points.Max(p => p.OfferedRate));
        var rates = points.SelectMany(p => new[] { p.MinDelivered, p.OfferedRate }).Where(v => v > 0).ToList();
        var delivered = new LogAxis(Math.Min(rates.Min(), offered.Low), Math.Max(rates.Max(), offered.High));
        var latencies = points.Select(p => p.MinP99).Concat(points.Select(p => p.MaxP99)).Where(v => v > 0).DefaultIfEmpty(1).ToList();
        var p99 = new LogAxis(latencies.Min(), latencies.Max());

        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var xml = XmlWriter.Create(output, settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("svg", Svg);
        Attr(xml, "width", Width);
        Attr(xml, "height", Height);
        xml.WriteAttributeString("viewBox", $"0 0 {Width} {Height}");
        xml.WriteAttributeString("font-family", "sans-serif");
        xml.WriteAttributeString("font-size", "12");
        Rect(xml, 0, 0, Width, Height, "white", null);
        Text(xml, Width / 2, 28, title, "middle", "title", size: 17);
        if (!string.IsNullOrEmpty(note))
        {
            Text(xml, Width / 2, 50, note, "middle", "note", fill: "#555");
        }

        Panel(xml, 0, offered, delivered, "delivered msgs/s", LogAxis.FormatRate, series, p => (p.DeliveredRate, p.MinDelivered, p.MaxDelivered), ideal: true);
        Panel(xml, 1, offered, p99, "p99 latency", LogAxis.FormatMicros, series, p => (p.P99Micros, p.MinP99, p.MaxP99), ideal: false);
        Legend(xml, series);
        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    private static void Panel(XmlWriter xml, int index, LogAxis x, LogAxis y, string yTitle, Func<double, string> yFormat,
        IReadOnlyList<PlotSeries> series, Func<PlotPoint, (double Median, double Min, double Max)> value, bool ideal)
    {
        var left = PanelLeft[index];
        double X(double v) => left + (x.Fraction(v) * PanelWidth);
        double Y(double v) => Top + PanelHeight - (y.Fraction(v) * PanelHeight);

        xml.WriteStartElement("g", Svg);
        xml.WriteAttributeString("class", "panel");
        xml.WriteAttributeString("data-y", yTitle);
        Rect(xml, left, Top, PanelWidth, PanelHeight, "none", "#333");
        foreach (var (tick, major, labelled) in x.Ticks())
        {
            Line(xml, X(tick), Top, X(tick), Top + PanelHeight, major ? "#ccc" : "#eee");
            if (labelled)
            {
                Text(xml, X(tick), Top + PanelHeight + 16, LogAxis.FormatRate(tick), "middle", "tick");
            }
        }

        foreach (var (tick, major, labelled) in y.Ticks())
        {
            Line(xml, left, Y(tick), left + PanelWidth, Y(tick), major ? "#ccc" : "#eee");
            if (labelled)
            {
                Text(xml, left - 6, Y(tick) + 4, yFormat(tick), "end", "tick");
            }
        }

        Text(xml, left + (PanelWidth / 2), Top + PanelHeight + 36, "offered load (msgs/s, log scale)", "middle", "axis-label");
        xml.WriteStartElement("text", Svg);
        xml.WriteAttributeString("class", "axis-label");
        xml.WriteAttributeString("text-anchor", "middle");
        xml.WriteAttributeString("transform", FormattableString.Invariant($"translate({left - 62:0.#},{Top + (PanelHeight / 2):0.#}) rotate(-90)"));
        xml.WriteString(yTitle + " (log scale)");
        xml.WriteEndElement();

        if (ideal)
        {
            var low = Math.Max(x.Low, y.Low);
            var high = Math.Min(x.High, y.High);
            Line(xml, X(low), Y(low), X(high), Y(high), "#999", dashed: true, cssClass: "ideal");
        }

        for (var s = 0; s < series.Count; s++)
        {
            var colour = Colours[s % Colours.Length];
            var points = series[s].Points.Where(p => value(p).Median > 0).ToList();
            xml.WriteStartElement("g", Svg);
            xml.WriteAttributeString("class", "series");
            xml.WriteAttributeString("data-label", series[s].Label);
            if (points.Count > 1)
            {
                xml.WriteStartElement("polyline", Svg);
                xml.WriteAttributeString("points", string.Join(" ", points.Select(p => Pair(X(p.OfferedRate), Y(value(p).Median)))));
                xml.WriteAttributeString("fill", "none");
                xml.WriteAttributeString("stroke", colour);
                xml.WriteAttributeString("stroke-width", "2");
                xml.WriteEndElement();
            }

            foreach (var p in points)
            {
                var (median, min, max) = value(p);
                if (p.Runs > 1 && max > min && min > 0)
                {
                    Line(xml, X(p.OfferedRate), Y(min), X(p.OfferedRate), Y(max), colour, cssClass: "spread");
                }

                xml.WriteStartElement("circle", Svg);
                xml.WriteAttributeString("class", p.Complete ? "point complete" : "point incomplete");
                Attr(xml, "cx", X(p.OfferedRate));
                Attr(xml, "cy", Y(median));
                xml.WriteAttributeString("r", "4");
                xml.WriteAttributeString("fill", p.Complete ? colour : "white");
                xml.WriteAttributeString("stroke", colour);
                xml.WriteAttributeString("stroke-width", "2");
                xml.WriteElementString("title", Svg, string.Create(CultureInfo.InvariantCulture,
                    $"{series[s].Label}: offered {LogAxis.FormatRate(p.OfferedRate)}/s, delivered {p.DeliveredRate:0}/s, p99 {LogAxis.FormatMicros(p.P99Micros)}, {p.Runs} run(s){(p.Complete ? "" : ", incomplete")}"));
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        xml.WriteEndElement();
    }

    private static void Legend(XmlWriter xml, IReadOnlyList<PlotSeries> series)
    {
        xml.WriteStartElement("g", Svg);
        xml.WriteAttributeString("class", "legend");
        var y = Top + PanelHeight + 66;
        var x = PanelLeft[0];
        for (var s = 0; s < series.Count; s++)
        {
            var colour = Colours[s % Colours.Length];
            Line(xml, x, y - 4, x + 24, y - 4, colour, width: 2);
            Text(xml, x + 30, y, series[s].Label, "start", "legend-label");
            x += 50 + (7.5 * series[s].Label.Length);
        }

        Text(xml, PanelLeft[0], y + 24,
            "filled: run complete; hollow: messages skipped or not delivered; dashed: delivered = offered; bar: min–max of repeated runs",
            "start", "legend-note", fill: "#555");
        xml.WriteEndElement();
    }

    private static string Pair(double x, double y) => FormattableString.Invariant($"{x:0.#},{y:0.#}");

    private static void Attr(XmlWriter xml, string name, double value) =>
        xml.WriteAttributeString(name, value.ToString("0.#", CultureInfo.InvariantCulture));

    private static void Rect(XmlWriter xml, double x, double y, double width, double height, string fill, string? stroke)
    {
        xml.WriteStartElement("rect", Svg);
        Attr(xml, "x", x);
        Attr(xml, "y", y);
        Attr(xml, "width", width);
        Attr(xml, "height", height);
        xml.WriteAttributeString("fill", fill);
        if (stroke is not null)
        {
            xml.WriteAttributeString("stroke", stroke);
        }

        xml.WriteEndElement();
    }

    private static void Line(XmlWriter xml, double x1, double y1, double x2, double y2, string stroke, bool dashed = false,
        double width = 1, string? cssClass = null)
    {
        xml.WriteStartElement("line", Svg);
        if (cssClass is not null)
        {
            xml.WriteAttributeString("class", cssClass);
        }

        Attr(xml, "x1", x1);
        Attr(xml, "y1", y1);
        Attr(xml, "x2", x2);
        Attr(xml, "y2", y2);
        xml.WriteAttributeString("stroke", stroke);
        Attr(xml, "stroke-width", width);
        if (dashed)
        {
            xml.WriteAttributeString("stroke-dasharray", "5,4");
        }

        xml.WriteEndElement();
    }

    private static void Text(XmlWriter xml, double x, double y, string text, string anchor, string cssClass, double size = 12,
        string fill = "#222")
    {
        xml.WriteStartElement("text", Svg);
        xml.WriteAttributeString("class", cssClass);
        Attr(xml, "x", x);
        Attr(xml, "y", y);
        xml.WriteAttributeString("text-anchor", anchor);
        xml.WriteAttributeString("fill", fill);
        if (size != 12)
        {
            Attr(xml, "font-size", size);
        }

        xml.WriteString(text);
        xml.WriteEndElement();
    }
}
