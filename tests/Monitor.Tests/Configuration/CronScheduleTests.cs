using System.Globalization;
using Monitor.Alerting;
using Monitor.Configuration;

namespace Monitor.Tests.Configuration;

public class CronScheduleTests
{
    internal static CronSchedule Cron(string text)
    {
        Assert.True(CronSchedule.TryParse(text, out var cron, out string? error), error);
        return cron!;
    }

    internal static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>
    /// The DST cases, each with the wall times (and offsets) it must fire at, in order, from <c>after</c>. The
    /// expected times are what Quartz 4.7.3 and Cronos 0.13.0 both give (CronLibraryComparisonTests measures
    /// both) and what cronie's rules give, except where the comment says otherwise.
    /// </summary>
    public static TheoryData<string, string, string, string[]> DstCases() => new()
    {
        // America/New_York springs forward 2026-03-08 02:00 EST -> 03:00 EDT. 02:30 does not exist:
        // cronie runs fixed-time jobs of the skipped hour "immediately" after the change, at 03:00.
        { "America/New_York", "30 2 * * *", "2026-03-07T12:00Z", ["2026-03-08T03:00-04:00", "2026-03-09T02:30-04:00"] },
        // An interval job is "scheduled normally" (cronie): the skipped 02:00 and 02:30 are simply not there.
        { "America/New_York", "*/30 * * * *", "2026-03-08T05:00Z", ["2026-03-08T00:30-05:00", "2026-03-08T01:00-05:00", "2026-03-08T01:30-05:00", "2026-03-08T03:00-04:00", "2026-03-08T03:30-04:00"] },
        // Falls back 2026-11-01 02:00 EDT -> 01:00 EST; 01:30 happens twice. A fixed time runs once, in the
        // first pass (cronie: "running the same job twice is avoided").
        { "America/New_York", "30 1 * * *", "2026-10-31T12:00Z", ["2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00"] },
        // A job whose minute or hour starts with '*' is a wildcard job in cronie (MIN_STAR|HR_STAR) and runs
        // in both passes of the repeated hour.
        { "America/New_York", "*/30 * * * *", "2026-11-01T04:00Z", ["2026-11-01T00:30-04:00", "2026-11-01T01:00-04:00", "2026-11-01T01:30-04:00", "2026-11-01T01:00-05:00", "2026-11-01T01:30-05:00", "2026-11-01T02:00-05:00"] },
        { "America/New_York", "30 * * * *", "2026-11-01T04:00Z", ["2026-11-01T00:30-04:00", "2026-11-01T01:30-04:00", "2026-11-01T01:30-05:00", "2026-11-01T02:30-05:00"] },
        // The one case where cronie's man page and its code disagree: cron(8) says jobs "with a granularity
        // greater than one hour" get the skipped-hour catch-up (03:00, as the libraries give), but find_jobs
        // classes every hour field starting with '*' as wildcard, so cronie itself runs 00:00 then 04:00.
        { "America/New_York", "0 */2 * * *", "2026-03-08T04:00Z", ["2026-03-08T00:00-05:00", "2026-03-08T03:00-04:00", "2026-03-08T04:00-04:00"] },

        // Europe/Berlin springs forward 2026-03-29 02:00 CET -> 03:00 CEST, falls back 2026-10-25 03:00 -> 02:00.
        { "Europe/Berlin", "30 2 * * *", "2026-03-28T12:00Z", ["2026-03-29T03:00+02:00", "2026-03-30T02:30+02:00"] },
        { "Europe/Berlin", "30 2 * * *", "2026-10-24T12:00Z", ["2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00"] },
        { "Europe/Berlin", "*/30 * * * *", "2026-10-24T23:30Z", ["2026-10-25T02:00+02:00", "2026-10-25T02:30+02:00", "2026-10-25T02:00+01:00", "2026-10-25T02:30+01:00", "2026-10-25T03:00+01:00"] },

        // Australia/Lord_Howe moves by 30 minutes: 2026-10-04 02:00 (+10:30) -> 02:30 (+11:00), and
        // 2026-04-05 02:00 (+11:00) -> 01:30 (+10:30). 02:15 is skipped and fires at 02:30; 02:45 exists.
        { "Australia/Lord_Howe", "15 2 * * *", "2026-10-03T00:00Z", ["2026-10-04T02:30+11:00", "2026-10-05T02:15+11:00"] },
        { "Australia/Lord_Howe", "45 2 * * *", "2026-10-03T00:00Z", ["2026-10-04T02:45+11:00", "2026-10-05T02:45+11:00"] },
        { "Australia/Lord_Howe", "*/15 * * * *", "2026-10-03T15:00Z", ["2026-10-04T01:45+10:30", "2026-10-04T02:30+11:00", "2026-10-04T02:45+11:00"] },
        // Only the half hour 01:30-01:59 repeats.
        { "Australia/Lord_Howe", "45 1 * * *", "2026-04-04T00:00Z", ["2026-04-05T01:45+11:00", "2026-04-06T01:45+10:30"] },
        { "Australia/Lord_Howe", "*/15 * * * *", "2026-04-04T14:00Z", ["2026-04-05T01:15+11:00", "2026-04-05T01:30+11:00", "2026-04-05T01:45+11:00", "2026-04-05T01:30+10:30", "2026-04-05T01:45+10:30", "2026-04-05T02:00+10:30"] },

        // Asia/Seoul has no DST: the dates other zones change on are ordinary days.
        { "Asia/Seoul", "30 2 * * *", "2026-03-07T12:00Z", ["2026-03-08T02:30+09:00", "2026-03-09T02:30+09:00"] },
        { "Asia/Seoul", "*/30 * * * *", "2026-10-31T16:30Z", ["2026-11-01T02:00+09:00", "2026-11-01T02:30+09:00", "2026-11-01T03:00+09:00"] },
    };

    [Theory]
    [MemberData(nameof(DstCases))]
    public void Next_AcrossDst_FiresAsCronUsersExpect(string zoneId, string expression, string after, string[] expected)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var cron = Cron(expression);
        var t = At(after);
        foreach (string e in expected)
        {
            var next = cron.Next(t, zone)!.Value;
            Assert.Equal(At(e), next);
            Assert.Equal(At(e).Offset, next.Offset); // reported in the zone, so the offset says which pass
            t = next;
        }
    }

    /// <summary>
    /// Repeated-hour cases where cronie's rule (a job that is not a wildcard job runs once) is applied over
    /// the library: CronLibraryComparisonTests records what Quartz and Cronos give on their own.
    /// </summary>
    public static TheoryData<string, string, string, string[]> CronieRepeatedHourCases() => new()
    {
        // Searching from 01:00 EST (06:00Z), between the two passes: 01:30 already ran at 01:30 EDT.
        { "America/New_York", "30 1 * * *", "2026-11-01T06:00Z", ["2026-11-02T01:30-05:00"] },
        // An hour range is not a wildcard job in cronie: 01:30 once, in the first pass.
        { "America/New_York", "30 1-3 * * *", "2026-11-01T04:00Z", ["2026-11-01T01:30-04:00", "2026-11-01T02:30-05:00", "2026-11-01T03:30-05:00"] },
        { "America/New_York", "0,30 1 * * *", "2026-11-01T04:00Z", ["2026-11-01T01:00-04:00", "2026-11-01T01:30-04:00", "2026-11-02T01:00-05:00"] },
        { "Australia/Lord_Howe", "30-59/15 1 * * *", "2026-04-04T14:00Z", ["2026-04-05T01:30+11:00", "2026-04-05T01:45+11:00", "2026-04-06T01:30+10:30"] },
    };

    [Theory]
    [MemberData(nameof(CronieRepeatedHourCases))]
    public void Next_RepeatedHour_FixedTimeRunsOnce(string zoneId, string expression, string after, string[] expected) =>
        Next_AcrossDst_FiresAsCronUsersExpect(zoneId, expression, after, expected);

    [Fact]
    public void Next_SundayTwoAmSeoul_IsSaturdaySeventeenUtc()
    {
        var seoul = TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul");
        var next = Cron("0 2 * * SUN").Next(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), seoul);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 17, 0, 0, TimeSpan.Zero), next!.Value.ToUniversalTime());
    }

    [Fact]
    public void Window_InSkippedHour_OpensAfterTheGap_ForItsElapsedDuration()
    {
        // A 02:30 Berlin window of 1h on the spring-forward day opens at 03:00 CEST (01:00Z) and stays open for
        // one hour of elapsed time; the old engine never opened it that day.
        var window = new SilenceWindow
        {
            Name = "backup",
            Cron = Cron("30 2 * * *"),
            Duration = TimeSpan.FromHours(1),
            TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"),
            Matchers = new Dictionary<string, string>(),
        };
        Assert.False(AlertPolicy.WindowActive(window, At("2026-03-29T00:59:59Z")));
        Assert.True(AlertPolicy.WindowActive(window, At("2026-03-29T01:00:00Z")));
        Assert.True(AlertPolicy.WindowActive(window, At("2026-03-29T01:59:59Z")));
        Assert.False(AlertPolicy.WindowActive(window, At("2026-03-29T02:00:00Z")));
    }

    [Fact]
    public void Window_InRepeatedHour_OpensOnceForElapsedDuration()
    {
        // New York 01:30 for 1h on the fall-back day: opens at 01:30 EDT (05:30Z) and closes one elapsed hour
        // later, which the clock reads as 01:30 EST again; it does not reopen then.
        var window = new SilenceWindow
        {
            Name = "batch",
            Cron = Cron("30 1 * * *"),
            Duration = TimeSpan.FromHours(1),
            TimeZone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York"),
            Matchers = new Dictionary<string, string>(),
        };
        Assert.True(AlertPolicy.WindowActive(window, At("2026-11-01T05:30:00Z")));
        Assert.True(AlertPolicy.WindowActive(window, At("2026-11-01T06:29:59Z")));
        Assert.False(AlertPolicy.WindowActive(window, At("2026-11-01T06:30:00Z")));
        Assert.False(AlertPolicy.WindowActive(window, At("2026-11-01T07:00:00Z")));
    }

    [Theory]
    [InlineData("*/15 9-17 * * MON-FRI", "2026-11-23T09:00:00Z", "2026-11-23T09:15:00Z")]
    [InlineData("0 0 1 * *", "2026-11-22T00:00:00Z", "2026-12-01T00:00:00Z")]
    [InlineData("@daily", "2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z")]
    [InlineData("0 12 13 * FRI", "2026-11-22T00:00:00Z", "2026-11-27T12:00:00Z")] // either day field matches (crontab(5))
    [InlineData("0 12 13 * FRI", "2026-12-11T12:00:00Z", "2026-12-13T12:00:00Z")] // the 13th, a Sunday
    [InlineData("0 9 1-7 * MON", "2026-11-29T00:00:00Z", "2026-11-30T09:00:00Z")] // a Monday outside 1-7
    [InlineData("0 0 * * 7", "2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z")] // 7 is Sunday too
    [InlineData("0 0 * * 0", "2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z")]
    [InlineData("30 4 * jan,jul mon", "2026-11-22T00:00:00Z", "2027-01-04T04:30:00Z")]
    [InlineData("0 * * * *", "2026-11-22T00:59:59.999Z", "2026-11-22T01:00:00Z")]
    [InlineData("0 * * * *", "2026-11-22T01:00:00Z", "2026-11-22T02:00:00Z")] // strictly after
    public void Next_Utc(string expression, string after, string expected)
    {
        var next = Cron(expression).Next(At(after), TimeZoneInfo.Utc);
        Assert.Equal(At(expected), next);
    }

    [Theory]
    [InlineData("* * * *")]
    [InlineData("60 * * * *")]
    [InlineData("* 24 * * *")]
    [InlineData("* * 0 * *")]
    [InlineData("* * * 13 *")]
    [InlineData("* * * * 8")]
    [InlineData("*/0 * * * *")]
    [InlineData("5-1 * * * *")]
    [InlineData("* * * * FUNDAY")]
    [InlineData("0 0 L * *")] // Quartz extensions a crontab does not have
    [InlineData("0 0 15W * *")]
    [InlineData("0 0 * * 5#3")]
    [InlineData("0 0 1 1 * 2027")]
    public void TryParse_Invalid_ExplainsField(string expression)
    {
        Assert.False(CronSchedule.TryParse(expression, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
