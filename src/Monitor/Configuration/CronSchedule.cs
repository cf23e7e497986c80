using System.Globalization;

namespace Monitor.Configuration;

/// <summary>
/// A five-field cron expression (minute hour day-of-month month day-of-week) with names (JAN, SUN), ranges,
/// steps, lists and the <c>@daily</c>-style shorthands, evaluated in a time zone. As in Vixie cron, when both
/// day fields are restricted a day matches if either does.
/// </summary>
internal sealed class CronSchedule
{
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly bool[] _minutes = new bool[60];
    private readonly bool[] _hours = new bool[24];
    private readonly bool[] _daysOfMonth = new bool[32];
    private readonly bool[] _months = new bool[13];
    private readonly bool[] _daysOfWeek = new bool[7];
    private bool _domRestricted;
    private bool _dowRestricted;

    private CronSchedule(string expression) => Expression = expression;

    public string Expression { get; }

    public override string ToString() => Expression;

    public static bool TryParse(string expression, out CronSchedule? schedule, out string? error)
    {
        schedule = null;
        string text = expression.Trim() switch
        {
            "@yearly" or "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" or "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            var other => other,
        };
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            error = $"expected 5 fields (minute hour day-of-month month day-of-week), got {fields.Length}";
            return false;
        }

        var result = new CronSchedule(expression);
        bool[] dow = new bool[8];
        error = Fill(fields[0], result._minutes, 0, 59, null, "minute")
            ?? Fill(fields[1], result._hours, 0, 23, null, "hour")
            ?? Fill(fields[2], result._daysOfMonth, 1, 31, null, "day-of-month")
            ?? Fill(fields[3], result._months, 1, 12, MonthNames, "month")
            ?? Fill(fields[4], dow, 0, 7, DayNames, "day-of-week");
        if (error is not null)
        {
            return false;
        }

        for (int d = 0; d < 7; d++)
        {
            result._daysOfWeek[d] = dow[d] || (d == 0 && dow[7]);
        }

        result._domRestricted = fields[2] != "*" && fields[2] != "?";
        result._dowRestricted = fields[4] != "*" && fields[4] != "?";
        schedule = result;
        return true;
    }

    private static string? Fill(string field, bool[] set, int min, int max, string[]? names, string what)
    {
        foreach (var part in field.Split(','))
        {
            string range = part;
            int step = 1;
            int slash = part.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                if (!int.TryParse(part.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1)
                {
                    return $"{what}: invalid step in \"{part}\"";
                }

                range = part[..slash];
            }

            int lo, hi;
            if (range is "*" or "?")
            {
                (lo, hi) = (min, max);
            }
            else
            {
                int dash = range.IndexOf('-', StringComparison.Ordinal);
                string loText = dash >= 0 ? range[..dash] : range;
                if (!TryValue(loText, names, min, out lo))
                {
                    return $"{what}: invalid value \"{loText}\"";
                }

                hi = lo;
                if (dash >= 0 && !TryValue(range[(dash + 1)..], names, min, out hi))
                {
                    return $"{what}: invalid value \"{range[(dash + 1)..]}\"";
                }

                if (slash >= 0 && dash < 0)
                {
                    hi = max;
                }
            }

            if (lo < min || hi > max || lo > hi)
            {
                return $"{what}: \"{part}\" is outside {min}-{max}";
            }

            for (int v = lo; v <= hi; v += step)
            {
                set[v] = true;
            }
        }

        return null;
    }

    private static bool TryValue(string text, string[]? names, int min, out int value)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        int index = names is null ? -1 : Array.FindIndex(names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
        value = index + min;
        return index >= 0;
    }

    private bool DayMatches(DateTime local)
    {
        bool dom = _daysOfMonth[local.Day];
        bool dow = _daysOfWeek[(int)local.DayOfWeek];
        return (_domRestricted, _dowRestricted) switch
        {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            _ => true,
        };
    }

    /// <summary>
    /// The first occurrence strictly after <paramref name="after"/>, or null if none within five years. Wall
    /// times skipped by a DST change never occur; repeated wall times occur once, at the first instant.
    /// </summary>
    public DateTimeOffset? Next(DateTimeOffset after, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(after, zone).DateTime;
        var t = new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0, DateTimeKind.Unspecified).AddMinutes(1);
        var end = t.AddYears(5);
        while (t < end)
        {
            if (!_months[t.Month])
            {
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Unspecified).AddMonths(1);
                continue;
            }

            if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
                continue;
            }

            if (!_hours[t.Hour])
            {
                t = t.Date.AddHours(t.Hour + 1);
                continue;
            }

            if (!_minutes[t.Minute])
            {
                t = t.AddMinutes(1);
                continue;
            }

            if (!zone.IsInvalidTime(t))
            {
                var offset = zone.IsAmbiguousTime(t) ? zone.GetAmbiguousTimeOffsets(t).Max() : zone.GetUtcOffset(t);
                var occurrence = new DateTimeOffset(t, offset);
                if (occurrence > after)
                {
                    return occurrence;
                }
            }

            t = t.AddMinutes(1);
        }

        return null;
    }
}
