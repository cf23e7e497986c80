using System.Globalization;
using System.Text.RegularExpressions;
using Monitor.Rules.Evaluation;

namespace Monitor.Rules.Testing;

/// <summary>
/// promtool's expanding notation for input series: <c>a+bxn</c> (n+1 values from a in steps of b),
/// <c>axn</c> (a, n+1 times), <c>_</c> (no sample), <c>_xn</c> (n missing), <c>stale</c>.
/// A null entry is a missing sample.
/// </summary>
internal static partial class SeriesValues
{
    public static List<double?> Expand(string text)
    {
        var values = new List<double?>();
        foreach (string item in text.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (item == "_")
            {
                values.Add(null);
                continue;
            }

            if (item == "stale")
            {
                values.Add(StoredSeries.StaleNaN);
                continue;
            }

            var blank = BlankRepeat().Match(item);
            if (blank.Success)
            {
                int n = int.Parse(blank.Groups[1].Value, CultureInfo.InvariantCulture);
                values.AddRange(Enumerable.Repeat<double?>(null, n));
                continue;
            }

            var m = Expanding().Match(item);
            if (m.Success)
            {
                double start = Number(m.Groups["a"].Value);
                double step = m.Groups["b"].Success ? Number(m.Groups["b"].Value) * (m.Groups["op"].Value == "-" ? -1 : 1) : 0;
                int n = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
                // Prometheus adds the step repeatedly; keep the same float arithmetic.
                double current = start;
                values.Add(current);
                for (int i = 0; i < n; i++)
                {
                    current += step;
                    values.Add(current);
                }

                continue;
            }

            values.Add(Number(item));
        }

        return values;
    }

    private static double Number(string text) => text switch
    {
        "Inf" or "+Inf" or "inf" or "+inf" => double.PositiveInfinity,
        "-Inf" or "-inf" => double.NegativeInfinity,
        "NaN" or "nan" => double.NaN,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) => v,
        _ => throw new FormatException($"invalid series value \"{text}\""),
    };

    [GeneratedRegex(@"^_x(\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex BlankRepeat();

    [GeneratedRegex(@"^(?<a>[+-]?(?:Inf|NaN|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))(?:(?<op>[+-])(?<b>(?:Inf|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)))?x(?<n>\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Expanding();
}
