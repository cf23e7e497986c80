namespace Monitor.GoCompat;

/// <summary>
/// The UTC calendar fields of Go's <c>time.Unix(sec, 0).UTC()</c> for any int64 <c>sec</c>, computed as Go's
/// time package computes them (its absolute-time arithmetic wraps instead of failing), so PromQL's date
/// functions give Prometheus' answers even for values no calendar holds.
/// </summary>
internal readonly struct GoTime
{
    private const long SecondsPerMinute = 60;
    private const long SecondsPerHour = 3600;
    private const long SecondsPerDay = 86400;
    private const long SecondsPerWeek = 7 * SecondsPerDay;
    private const ulong DaysPer400Years = (365 * 400) + 97;
    private const ulong DaysPer100Years = (365 * 100) + 24;
    private const ulong DaysPer4Years = (365 * 4) + 1;
    private const long AbsoluteZeroYear = -292277022399;
    private const long UnixToInternal = ((1969 * 365) + (1969 / 4) - (1969 / 100) + (1969 / 400)) * SecondsPerDay;
    private const long InternalToAbsolute = 9223371966579724800;

    private static readonly int[] DaysBefore = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

    private readonly ulong _abs;

    private GoTime(long unixSeconds) => _abs = unchecked((ulong)(unixSeconds + (UnixToInternal + InternalToAbsolute)));

    public static GoTime FromUnix(long seconds) => new(seconds);

    public int Hour => (int)(_abs % SecondsPerDay / SecondsPerHour);

    public int Minute => (int)(_abs % SecondsPerHour / SecondsPerMinute);

    /// <summary>0 = Sunday.</summary>
    public int Weekday => (int)((_abs + SecondsPerDay) % SecondsPerWeek / SecondsPerDay);

    public long Year => Date().Year;

    public int Month => Date().Month;

    public int Day => Date().Day;

    public int YearDay => Date().YearDay + 1;

    public int DaysInMonth
    {
        get
        {
            var (year, month, _, _) = Date();
            return month == 2 && IsLeap(year) ? 29 : DaysBefore[month] - DaysBefore[month - 1];
        }
    }

    private static bool IsLeap(long year) => year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);

    private (long Year, int Month, int Day, int YearDay) Date()
    {
        ulong d = _abs / SecondsPerDay;
        ulong n = d / DaysPer400Years;
        ulong y = 400 * n;
        d -= DaysPer400Years * n;
        n = d / DaysPer100Years;
        n -= n >> 2;
        y += 100 * n;
        d -= DaysPer100Years * n;
        n = d / DaysPer4Years;
        y += 4 * n;
        d -= DaysPer4Years * n;
        n = d / 365;
        n -= n >> 2;
        y += n;
        d -= 365 * n;
        long year = unchecked((long)y + AbsoluteZeroYear);
        int yday = (int)d;
        int day = yday;
        if (IsLeap(year))
        {
            if (day > 31 + 29 - 1)
            {
                day--;
            }
            else if (day == 31 + 29 - 1)
            {
                return (year, 2, 29, yday);
            }
        }

        int month = day / 31;
        int end = DaysBefore[month + 1];
        int begin;
        if (day >= end)
        {
            month++;
            begin = end;
        }
        else
        {
            begin = DaysBefore[month];
        }

        month++;
        day = day - begin + 1;
        return (year, month, day, yday);
    }
}
