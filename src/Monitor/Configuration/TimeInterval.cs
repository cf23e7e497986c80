namespace Monitor.Configuration;

/// <summary>
/// A named entry of <c>time_intervals</c>, with Alertmanager 0.25's syntax and semantics (its
/// <c>timeinterval</c> package): the named interval contains a time when any of its intervals does.
/// </summary>
internal sealed record TimeIntervalSet(string Name, IReadOnlyList<TimeIntervalSpec> Intervals)
{
    public bool Contains(DateTimeOffset t) => Intervals.Any(i => i.Contains(t));
}

/// <summary>
/// One interval: every field given must contain the time (in <see cref="Location"/>, UTC by default); within a
/// field, any of its ranges. Times are <c>[start, end)</c> in minutes of the day; weekdays (0 = Sunday), days of
/// month (negative: from the end, -1 the last day), months and years are inclusive ranges.
/// </summary>
internal sealed record TimeIntervalSpec
{
    public IReadOnlyList<(int Start, int End)>? Times { get; init; }

    public IReadOnlyList<(int Begin, int End)>? Weekdays { get; init; }

    public IReadOnlyList<(int Begin, int End)>? DaysOfMonth { get; init; }

    public IReadOnlyList<(int Begin, int End)>? Months { get; init; }

    public IReadOnlyList<(int Begin, int End)>? Years { get; init; }

    public TimeZoneInfo Location { get; init; } = TimeZoneInfo.Utc;

    /// <summary>Alertmanager's <c>TimeInterval.ContainsTime</c>.</summary>
    public bool Contains(DateTimeOffset instant)
    {
        var t = TimeZoneInfo.ConvertTime(instant, Location);
        int minute = (t.Hour * 60) + t.Minute;
        if (Times is not null && !Times.Any(r => minute >= r.Start && minute < r.End))
        {
            return false;
        }

        if (DaysOfMonth is not null)
        {
            int days = DateTime.DaysInMonth(t.Year, t.Month);
            bool inDays = false;
            foreach (var (b, e) in DaysOfMonth)
            {
                int begin = b < 0 ? days + b + 1 : b;
                int end = e < 0 ? days + e + 1 : e;
                if (begin > days)
                {
                    continue; // e.g. 31 in a 30-day month
                }

                begin = Math.Clamp(begin, -days, days);
                end = Math.Clamp(end, -days, days);
                if (t.Day >= begin && t.Day <= end)
                {
                    inDays = true;
                    break;
                }
            }

            if (!inDays)
            {
                return false;
            }
        }

        if (Months is not null && !Months.Any(r => t.Month >= r.Begin && t.Month <= r.End))
        {
            return false;
        }

        int weekday = (int)t.DayOfWeek;
        if (Weekdays is not null && !Weekdays.Any(r => weekday >= r.Begin && weekday <= r.End))
        {
            return false;
        }

        return Years is null || Years.Any(r => t.Year >= r.Begin && t.Year <= r.End);
    }
}
