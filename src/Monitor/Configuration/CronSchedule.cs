using System.Collections.Concurrent;
using System.Globalization;
using Quartz;

namespace Monitor.Configuration;

/// <summary>
/// A five-field crontab(5) expression (minute hour day-of-month month day-of-week) with names (JAN, SUN),
/// ranges, steps, lists and the <c>@daily</c>-style shorthands, evaluated in a time zone by Quartz's
/// <see cref="CronExpression"/> read in its Unix format. As in crontab(5), when both day fields are restricted
/// a day matches if either does. Across DST (docs/configuration.md): a time the spring-forward gap skips fires
/// at the first instant after the gap; in a fall-back's repeated hour a fixed time fires once (the first
/// pass) and an expression whose minute or hour is a wildcard or step fires in both passes.
/// </summary>
internal sealed class CronSchedule
{
    private static readonly string[] FieldNames = ["minute", "hour", "day-of-month", "month", "day-of-week"];

    private static readonly string[] Names = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly CronExpression _expression;
    private readonly ConcurrentDictionary<string, CronExpression> _zoned = new(StringComparer.Ordinal);

    /// <summary>
    /// cronie's "wildcard job": the minute or the hour field starts with <c>*</c> (src/entry.c sets MIN_STAR /
    /// HR_STAR from the first character). Only these run in the second pass of a repeated hour.
    /// </summary>
    private readonly bool _wildcard;

    private CronSchedule(string expression, CronExpression parsed, bool wildcard)
    {
        Expression = expression;
        _expression = parsed;
        _wildcard = wildcard;
    }

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

        // Quartz's Unix format also reads its own extensions (L, W, #) and wrapping ranges (22-2); a
        // crontab(5) entry has neither, so they are refused here to keep configs portable to cron.
        error = CheckCrontabSyntax(fields);
        if (error is not null)
        {
            return false;
        }

        text = string.Join(' ', fields);
        bool wildcard = fields[0].StartsWith('*') || fields[1].StartsWith('*');
        try
        {
            schedule = new CronSchedule(expression, CronExpression.Parse(text, CronFormat.Unix), wildcard);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }
    }

    private static string? CheckCrontabSyntax(string[] fields)
    {
        for (int f = 0; f < fields.Length; f++)
        {
            foreach (string part in fields[f].Split(','))
            {
                if (!part.Split('-', '/').All(IsCrontabToken))
                {
                    return $"{FieldNames[f]}: invalid value \"{part}\"";
                }

                string range = part.Split('/')[0];
                int dash = range.IndexOf('-', StringComparison.Ordinal);
                if (dash > 0
                    && int.TryParse(range.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int lo)
                    && int.TryParse(range.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int hi)
                    && lo > hi)
                {
                    return $"{FieldNames[f]}: range \"{range}\" runs backwards";
                }
            }
        }

        return null;
    }

    private static bool IsCrontabToken(string token) =>
        token is "*" or "?"
        || (token.Length > 0 && token.All(char.IsAsciiDigit))
        || Names.Contains(token, StringComparer.OrdinalIgnoreCase);

    private CronExpression In(TimeZoneInfo zone) => _zoned.GetOrAdd(zone.Id, static (_, state) => state.Expression.WithTimeZone(state.Zone), (Expression: _expression, Zone: zone));

    /// <summary>
    /// The first occurrence strictly after <paramref name="after"/>, or null if there is none. Wall times a
    /// spring-forward gap skips fire at the instant the clocks jump to. In a fall-back's repeated wall times
    /// only a wildcard expression fires in the second pass (cronie's rule); Quartz alone would fire a fixed
    /// time twice when the search starts between the two passes, so the second pass is dropped here.
    /// </summary>
    public DateTimeOffset? Next(DateTimeOffset after, TimeZoneInfo zone)
    {
        var expression = In(zone);
        var t = after;
        for (int i = 0; i < 1000; i++)
        {
            if (expression.GetNextValidTimeAfter(t) is not { } next)
            {
                return null;
            }

            var local = TimeZoneInfo.ConvertTime(next, zone);
            if (_wildcard || !IsSecondPass(local, zone))
            {
                return local;
            }

            t = next;
        }

        return null;
    }

    private static bool IsSecondPass(DateTimeOffset local, TimeZoneInfo zone) =>
        zone.IsAmbiguousTime(local) && local.Offset == zone.GetAmbiguousTimeOffsets(local).Min();
}
