using Monitor.Configuration;
using Monitor.Hosting;

namespace Monitor.Tests.Configuration;

/// <summary>time_intervals read as Alertmanager 0.25 reads them, with its semantics, and errors at FILE:LINE:COL.</summary>
public class TimeIntervalConfigTests
{
    private static ConfigLoadResult Parse(string yaml) => MonitorConfig.Parse(yaml, "monitor.yaml");

    private static TimeIntervalSet Interval(string yaml)
    {
        var result = Parse(yaml);
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return Assert.Single(result.Options!.TimeIntervals.Values);
    }

    private static DateTimeOffset Utc(int y, int mo, int d, int h = 12, int mi = 0) => new(y, mo, d, h, mi, 0, TimeSpan.Zero);

    [Fact]
    public void BusinessHoursInSeoul_ContainsMondayToFriday9To18Local_EndExclusive()
    {
        var hours = Interval("""
            time_intervals:
              - name: business-hours
                time_intervals:
                  - times: [ { start_time: "09:00", end_time: "18:00" } ]
                    weekdays: ["Monday:FRIDAY"]
                    location: Asia/Seoul
            """);
        Assert.True(hours.Contains(Utc(2026, 11, 30, 0, 0)));   // Mon 09:00 KST
        Assert.False(hours.Contains(Utc(2026, 11, 29, 23, 59))); // Mon 08:59 KST
        Assert.True(hours.Contains(Utc(2026, 11, 30, 8, 59)));  // Mon 17:59 KST
        Assert.False(hours.Contains(Utc(2026, 11, 30, 9, 0)));  // Mon 18:00 KST: end is exclusive
        Assert.True(hours.Contains(Utc(2026, 12, 4, 1, 0)));    // Fri 10:00 KST
        Assert.False(hours.Contains(Utc(2026, 12, 5, 1, 0)));   // Sat 10:00 KST (Friday in UTC is no matter)
    }

    [Fact]
    public void DaysOfMonth_MonthsAndYears_FollowAlertmanager()
    {
        var lastDays = Interval("""
            time_intervals:
              - name: month-end
                time_intervals:
                  - days_of_month: ["-3:-1"]
                    months: ["january:march", "12"]
                    years: ["2026:2027"]
            """);
        Assert.True(lastDays.Contains(Utc(2027, 2, 26)));  // 28-day February: 26–28
        Assert.False(lastDays.Contains(Utc(2027, 2, 25)));
        Assert.True(lastDays.Contains(Utc(2026, 12, 29)));
        Assert.False(lastDays.Contains(Utc(2026, 11, 29))); // November is not listed
        Assert.False(lastDays.Contains(Utc(2028, 1, 31)));  // nor 2028

        var thirtyFirst = Interval("time_intervals:\n  - name: t\n    time_intervals:\n      - days_of_month: [\"31\"]\n");
        Assert.False(thirtyFirst.Contains(Utc(2026, 11, 30))); // begin past the month's end: skipped, as Alertmanager does
        Assert.True(thirtyFirst.Contains(Utc(2026, 12, 31)));

        var clamped = Interval("time_intervals:\n  - name: t\n    time_intervals:\n      - days_of_month: [\"28:31\"]\n");
        Assert.True(clamped.Contains(Utc(2027, 2, 28))); // end clamped to the month

        var always = Interval("time_intervals:\n  - name: t\n    time_intervals:\n      - {}\n");
        Assert.True(always.Contains(Utc(2026, 1, 1)));
        var never = Interval("time_intervals:\n  - name: t\n    time_intervals: []\n");
        Assert.False(never.Contains(Utc(2026, 1, 1)));
    }

    [Fact]
    public void InvalidIntervals_AreErrorsAtTheirPlace_WithAlertmanagersMessages()
    {
        var errors = Parse("""
            time_intervals:
              - name: bad
                time_intervals:
                  - times: [ { start_time: "18:00", end_time: "09:00" }, { start_time: "9:00", end_time: "10:00" } ]
                    weekdays: ["friday:monday", "funday"]
                    days_of_month: ["0", "-1:5"]
                    months: ["march:january"]
                    years: ["2027:2026"]
                    location: Mars/Olympus
              - name: bad
            routing:
              routes:
                - match: { team: web }
                  active_time_intervals: [business-hours]
            """).Errors.Select(e => e.ToString()).ToList();
        Assert.Equal(
        [
            "monitor.yaml:4:18: time_intervals[0].time_intervals[0].times[0]: start time cannot be equal or greater than end time",
            "monitor.yaml:4:76: time_intervals[0].time_intervals[0].times[1].start_time: couldn't parse timestamp 9:00, invalid format",
            "monitor.yaml:5:20: time_intervals[0].time_intervals[0].weekdays[0]: start day cannot be before end day",
            "monitor.yaml:5:37: time_intervals[0].time_intervals[0].weekdays[1]: funday is not a valid weekday",
            "monitor.yaml:6:25: time_intervals[0].time_intervals[0].days_of_month[0]: 0 is not a valid day of the month: out of range",
            "monitor.yaml:6:30: time_intervals[0].time_intervals[0].days_of_month[1]: end day must be negative if start day is negative",
            "monitor.yaml:7:18: time_intervals[0].time_intervals[0].months[0]: end month january is before start month march",
            "monitor.yaml:8:17: time_intervals[0].time_intervals[0].years[0]: end year 2026 is before start year 2027",
            "monitor.yaml:9:19: time_intervals[0].time_intervals[0].location: unknown time zone Mars/Olympus (use an IANA name such as Asia/Seoul, UTC or Local)",
            "monitor.yaml:10:11: time_intervals[1].name: duplicate time interval name \"bad\"",
            "monitor.yaml:14:31: routing.routes[0].active_time_intervals[0]: undefined time interval \"business-hours\" used in route (configured: bad)",
        ], errors);
    }

    /// <summary>The example of docs/configuration.md (which amtool 0.25 check-config accepts in an Alertmanager config) reads here too.</summary>
    [Fact]
    public void DocsExample_Parses_AndMeansWhatItSays()
    {
        string docs = File.ReadAllText(Monitor.Tests.TestSupport.Repository.File("docs/configuration.md"));
        string section = docs[docs.IndexOf("## `time_intervals`", StringComparison.Ordinal)..];
        int start = section.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        string yaml = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
        var result = Parse(yaml);
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var freeze = result.Options!.TimeIntervals["year-end-freeze"];
        Assert.True(freeze.Contains(Utc(2026, 12, 25)));
        Assert.False(freeze.Contains(Utc(2026, 12, 24)));
        Assert.True(result.Options.TimeIntervals["business-hours"].Contains(Utc(2026, 12, 1, 1, 0)));
    }

    [Fact]
    public void RouteEscalation_IsReadWithTheSameRules_AndNotifyIsOptionalThen()
    {
        var result = Parse("""
            receivers:
              - { name: ciso, webhook: { url: "http://hooks/ciso" } }
            routing:
              routes:
                - match: { team: security }
                  escalation: [ { after: 30m, notify: [ciso] }, { after: 10m, notify: [cto] } ]
                - match: { team: web }
            """);
        Assert.Equal(
        [
            "monitor.yaml:6:62: routing.routes[0].escalation[1].after: steps must be in increasing order of after (10m follows 30m)",
            "monitor.yaml:6:76: routing.routes[0].escalation[1].notify[0]: unknown receiver \"cto\" (configured: ciso)",
            "monitor.yaml:7:7: routing.routes[1].notify: required",
        ], result.Errors.Select(e => e.ToString()));
    }
}
