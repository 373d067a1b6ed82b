using System.Globalization;

namespace ChatRoom.PerfPlot;

/// <summary>A base-10 logarithmic axis spanning whole decades around the values it must show.</summary>
internal sealed class LogAxis
{
    private readonly double _lowLog;
    private readonly double _highLog;

    /// <summary>An axis from the decade at or below <paramref name="min"/> to the one at or above <paramref name="max"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A bound is not a positive finite number.</exception>
    public LogAxis(double min, double max)
    {
        if (!(min > 0) || !(max > 0) || double.IsInfinity(min) || double.IsInfinity(max))
        {
            throw new ArgumentOutOfRangeException(nameof(min), $"a log axis needs positive finite bounds (got {min}, {max})");
        }

        _lowLog = Math.Floor(Math.Log10(Math.Min(min, max)));
        _highLog = Math.Ceiling(Math.Log10(Math.Max(min, max)));
        if (_highLog <= _lowLog)
        {
            _highLog = _lowLog + 1;
        }
    }

    public double Low => Math.Pow(10, _lowLog);

    public double High => Math.Pow(10, _highLog);

    /// <summary>Where <paramref name="value"/> falls, from 0 (low end) to 1 (high end).</summary>
    public double Fraction(double value) => (Math.Log10(value) - _lowLog) / (_highLog - _lowLog);

    /// <summary>Grid values 1, 2 and 5 times each power of ten; labelled are the powers, or all of them over three decades or less.</summary>
    public IEnumerable<(double Value, bool Major, bool Labelled)> Ticks()
    {
        var few = _highLog - _lowLog <= 3;
        for (var power = _lowLog; power <= _highLog; power++)
        {
            foreach (var step in new[] { 1.0, 2.0, 5.0 })
            {
                var value = step * Math.Pow(10, power);
                if (value > High * 1.0001)
                {
                    yield break;
                }

                yield return (value, step == 1.0, step == 1.0 || few);
            }
        }
    }

    /// <summary>A message rate: 500, 2k, 100k, 1M.</summary>
    public static string FormatRate(double value) => value switch
    {
        >= 1e6 => Short(value / 1e6) + "M",
        >= 1e3 => Short(value / 1e3) + "k",
        _ => Short(value),
    };

    /// <summary>A duration given in microseconds: 200 µs, 5 ms, 2 s.</summary>
    public static string FormatMicros(double value) => value switch
    {
        >= 1e6 => Short(value / 1e6) + " s",
        >= 1e3 => Short(value / 1e3) + " ms",
        _ => Short(value) + " µs",
    };

    private static string Short(double value) => Math.Round(value, 3).ToString("G4", CultureInfo.InvariantCulture);
}
