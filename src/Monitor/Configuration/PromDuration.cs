using System.Globalization;
using System.Text;

namespace Monitor.Configuration;

/// <summary>Prometheus duration syntax: <c>1y2w3d4h5m6s7ms</c>, units in that order, each at most once.</summary>
internal static class PromDuration
{
    private static readonly (string Unit, TimeSpan Size)[] Units =
    [
        ("y", TimeSpan.FromDays(365)),
        ("w", TimeSpan.FromDays(7)),
        ("d", TimeSpan.FromDays(1)),
        ("h", TimeSpan.FromHours(1)),
        ("m", TimeSpan.FromMinutes(1)),
        ("s", TimeSpan.FromSeconds(1)),
        ("ms", TimeSpan.FromMilliseconds(1)),
    ];

    /// <summary>
    /// The longest duration a configuration or rule file may give (10y): far beyond any real interval, timeout,
    /// <c>for</c> or window, and small enough that now plus any sum of them stays a valid time.
    /// </summary>
    public static readonly TimeSpan MaxConfig = TimeSpan.FromDays(3650);

    /// <summary>
    /// How far ahead a silence may end (100y): teams set "permanent" silences to a far year (2099), as Alertmanager
    /// allows, and an instant this far ahead still leaves room for every computation made from it.
    /// </summary>
    public static readonly TimeSpan MaxSilence = TimeSpan.FromDays(36500);

    /// <summary>
    /// The longest <c>eval_time</c> of a rule test file: an instant counted from the Unix epoch, where the tests
    /// start, so a test may evaluate at today's dates (promtool takes any model.Duration, ~292 years).
    /// </summary>
    public static readonly TimeSpan MaxTestTime = TimeSpan.FromDays(292 * 365);

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text == "0")
        {
            return true;
        }

        int pos = 0;
        int nextUnit = 0;
        long totalMs = 0;
        while (pos < text.Length)
        {
            int start = pos;
            while (pos < text.Length && char.IsAsciiDigit(text[pos]))
            {
                pos++;
            }

            if (pos == start || pos - start > 15)
            {
                return false;
            }

            long number = long.Parse(text.AsSpan(start, pos - start), NumberStyles.None, CultureInfo.InvariantCulture);
            int unitStart = pos;
            while (pos < text.Length && char.IsAsciiLetterLower(text[pos]))
            {
                pos++;
            }

            string unit = text[unitStart..pos];
            int index = Array.FindIndex(Units, nextUnit, u => u.Unit == unit);
            if (index < 0)
            {
                return false;
            }

            nextUnit = index + 1;
            try
            {
                totalMs = checked(totalMs + checked(number * (long)Units[index].Size.TotalMilliseconds));
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        if (text.Length == 0 || totalMs > (long)TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }

    /// <summary>Formats as Prometheus does (<c>1h30m</c>, <c>500ms</c>, <c>0s</c>).</summary>
    public static string Format(TimeSpan duration)
    {
        long ms = (long)duration.TotalMilliseconds;
        if (ms == 0)
        {
            return "0s";
        }

        var sb = new StringBuilder();
        foreach (var (unit, size) in Units)
        {
            long unitMs = (long)size.TotalMilliseconds;
            if (unit is "y" or "w" && ms % unitMs != 0)
            {
                continue; // years and weeks only when exact: 90d reads better than 12w6d
            }

            long count = ms / unitMs;
            if (count > 0)
            {
                sb.Append(count.ToString(CultureInfo.InvariantCulture)).Append(unit);
                ms -= count * unitMs;
            }
        }

        return sb.ToString();
    }
}
