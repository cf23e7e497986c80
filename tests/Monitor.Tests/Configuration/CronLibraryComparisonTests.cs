using Monitor.Configuration;
using static Monitor.Tests.Configuration.CronScheduleTests;

namespace Monitor.Tests.Configuration;

/// <summary>
/// The measurement behind the choice of Quartz's CronExpression for <see cref="CronSchedule"/> (README,
/// "Dependencies"): Quartz 4.7.3 (Unix format) and Cronos 0.13.0, each run over the DST cases of
/// <see cref="CronScheduleTests.DstCases"/>, give the same times, and those are cronie's too (one exception,
/// written down there). They part on crontab(5)'s day rule, which decides it: with both day fields restricted
/// a day matches if either does; Quartz 4.7.3 unions the two fields, Cronos requires both.
/// </summary>
/// <remarks>
/// cronie, as read from cronie-crond/cronie: cron(8) "Daylight Saving Time and other time changes": changes of
/// under three hours are handled specially for "jobs that run at a specific time and jobs that run with a
/// granularity greater than one hour"; "if time was adjusted one hour forward, those jobs that would have run
/// in the interval that has been skipped will be run immediately. Conversely, if time was adjusted backward,
/// running the same job twice is avoided." In src/cron.c, find_jobs(doWild, doNonWild) tells the two kinds
/// apart by the MIN_STAR | HR_STAR flags, which entry.c sets when the minute or hour field's first character
/// is '*': so <c>*/30 * * * *</c> and <c>30 * * * *</c> are wildcard jobs (run as the clock reads, both passes
/// of a repeated hour, nothing for a skipped one) and <c>30 2 * * *</c> is a fixed-time job (run at the jump
/// when skipped, once when repeated). entry.c also applies crontab(5)'s rule: when neither day field is '*',
/// <c>dow || dom</c>.
/// </remarks>
public class CronLibraryComparisonTests
{
    private static DateTimeOffset? QuartzNext(string expression, TimeZoneInfo zone, DateTimeOffset after) =>
        Quartz.CronExpression.Parse(expression, Quartz.CronFormat.Unix).WithTimeZone(zone).GetNextValidTimeAfter(after);

    private static DateTimeOffset? CronosNext(string expression, TimeZoneInfo zone, DateTimeOffset after) =>
        Cronos.CronExpression.Parse(expression).GetNextOccurrence(after, zone);

    [Theory]
    [MemberData(nameof(DstCases), MemberType = typeof(CronScheduleTests))]
    public void Quartz_And_Cronos_AgreeOnEveryDstCase(string zoneId, string expression, string after, string[] expected)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        foreach (var next in new Func<string, TimeZoneInfo, DateTimeOffset, DateTimeOffset?>[] { QuartzNext, CronosNext })
        {
            var t = At(after);
            foreach (string e in expected)
            {
                t = next(expression, zone, t)!.Value;
                Assert.Equal(At(e), t);
            }
        }
    }

    [Fact]
    public void RepeatedHour_FixedTime_FromBetweenThePasses_QuartzFiresAgain()
    {
        // New York 2026-11-01, searching from 01:00 EST (06:00Z), after 01:30 EDT has run: Quartz answers the
        // second 01:30 (EST), Cronos and cronie the next day. A window evaluated mid-hour or a restart at
        // 01:10 EST would see the job twice; CronSchedule drops the second pass for a fixed-time expression.
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var between = At("2026-11-01T06:00Z");
        Assert.Equal(At("2026-11-01T01:30-05:00"), QuartzNext("30 1 * * *", zone, between));
        Assert.Equal(At("2026-11-02T01:30-05:00"), CronosNext("30 1 * * *", zone, between));
        Assert.Equal(At("2026-11-02T01:30-05:00"), Cron("30 1 * * *").Next(between, zone));
    }

    [Fact]
    public void RepeatedHour_HourRange_BothLibrariesFireInBothPasses()
    {
        // cronie runs "30 1-3 * * *" once at 01:30 (no field starts with '*'); both libraries run it in both
        // passes (a list such as "0,30 1 * * *" they run once, as cronie does).
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        foreach (var next in new Func<string, TimeZoneInfo, DateTimeOffset, DateTimeOffset?>[] { QuartzNext, CronosNext })
        {
            var t = At("2026-11-01T04:00Z");
            foreach (string e in new[] { "2026-11-01T01:30-04:00", "2026-11-01T01:30-05:00", "2026-11-01T02:30-05:00" })
            {
                t = next("30 1-3 * * *", zone, t)!.Value;
                Assert.Equal(At(e), t);
            }
        }

        Assert.Equal(At("2026-11-01T02:30-05:00"), Cron("30 1-3 * * *").Next(At("2026-11-01T05:30Z"), zone));
    }

    [Fact]
    public void Quartz_PreviousValidTimeBefore_IsNotUsable()
    {
        // Measured: Quartz 4.7.3's GetPreviousValidTimeBefore answers "*/30 * * * *" before 00:30 EST with
        // 19:30 the evening before, so catch-up walks forward with Next instead.
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var q = Quartz.CronExpression.Parse("*/30 * * * *", Quartz.CronFormat.Unix).WithTimeZone(zone);
        Assert.NotEqual(At("2026-03-08T00:30-05:00"), q.GetPreviousValidTimeBefore(At("2026-03-08T01:00-05:00")));
    }

    [Fact]
    public void DayFields_Quartz_Unions_Cronos_Intersects()
    {
        // crontab(5): "0 12 13 * FRI" runs on every Friday and on every 13th. From 2026-11-22 that is Friday
        // 2026-11-27; only Quartz says so. Cronos waits for a Friday the 13th (2027-08-13).
        var after = At("2026-11-22T00:00Z");
        Assert.Equal(At("2026-11-27T12:00Z"), QuartzNext("0 12 13 * FRI", TimeZoneInfo.Utc, after));
        Assert.Equal(At("2027-08-13T12:00Z"), CronosNext("0 12 13 * FRI", TimeZoneInfo.Utc, after));
        Assert.Equal(At("2026-11-27T12:00Z"), Cron("0 12 13 * FRI").Next(after, TimeZoneInfo.Utc));
    }

    [Fact]
    public void ReversedRange_BothLibrariesAccept_CrontabDoesNot()
    {
        // cronie's get_range refuses "5-1"; Quartz wraps it (5-59,0-1) and Cronos accepts it too, so
        // CronSchedule checks that itself.
        _ = Quartz.CronExpression.Parse("5-1 * * * *", Quartz.CronFormat.Unix);
        _ = Cronos.CronExpression.Parse("5-1 * * * *");
        Assert.False(CronSchedule.TryParse("5-1 * * * *", out _, out _));
    }
}
