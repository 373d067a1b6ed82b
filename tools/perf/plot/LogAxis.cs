using System.Globalization;

namespace ChatRoom.PerfPlot;

/// <summary>A base-10 logarithmic axis from a 1-2-5 step at or below the smallest value to one at or above the largest.</summary>
internal sealed class LogAxis
{
    /// <summary>A value this close to a step counts as on it (999.7 delivered of 1,000 offered does not open a decade).</summary>
    private const double Snap = 0.02;

    private static readonly double[] Steps = [1, 2, 5];
    private readonly double _lowLog;
    private readonly double _highLog;

    /// <summary>An axis spanning <paramref name="min"/> to <paramref name="max"/>, widened to the nearest 1-2-5 steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A bound is not a positive finite number.</exception>
    public LogAxis(double min, double max)
    {
        if (!(min > 0) || !(max > 0) || double.IsInfinity(min) || double.IsInfinity(max))
        {
            throw new ArgumentOutOfRangeException(nameof(min), $"a log axis needs positive finite bounds (got {min}, {max})");
        }

        Low = StepAtOrBelow(Math.Min(min, max) * (1 + Snap));
        High = StepAtOrAbove(Math.Max(min, max) * (1 - Snap));
        if (High <= Low)
        {
            High = StepAtOrAbove(Low * 1.5);
        }

        _lowLog = Math.Log10(Low);
        _highLog = Math.Log10(High);
    }

    public double Low { get; }

    public double High { get; }

    /// <summary>Where <paramref name="value"/> falls, from 0 (low end) to 1 (high end).</summary>
    public double Fraction(double value) => (Math.Log10(value) - _lowLog) / (_highLog - _lowLog);

    /// <summary>Grid values 1, 2 and 5 times each power of ten; labelled are the powers, or all of them over three decades or less.</summary>
    public IEnumerable<(double Value, bool Major, bool Labelled)> Ticks()
    {
        var few = _highLog - _lowLog <= 3;
        for (var power = Math.Floor(_lowLog); power <= Math.Ceiling(_highLog); power++)
        {
            foreach (var step in Steps)
            {
                var value = step * Math.Pow(10, power);
                if (value >= Low / 1.0001 && value <= High * 1.0001)
                {
                    yield return (value, step == 1, step == 1 || few);
                }
            }
        }
    }

    private static double StepAtOrBelow(double value)
    {
        var decade = Math.Pow(10, Math.Floor(Math.Log10(value)));
        return decade * Steps.Last(s => s * decade <= value * 1.0000001);
    }

    private static double StepAtOrAbove(double value)
    {
        var decade = Math.Pow(10, Math.Floor(Math.Log10(value)));
        return Steps.Append(10).Select(s => s * decade).First(v => v >= value / 1.0000001);
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
