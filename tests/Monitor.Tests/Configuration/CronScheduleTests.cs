using Monitor.Configuration;

namespace Monitor.Tests.Configuration;

public class CronScheduleTests
{
    private static CronSchedule Cron(string text)
    {
        Assert.True(CronSchedule.TryParse(text, out var cron, out string? error), error);
        return cron!;
    }

    [Fact]
    public void Next_SundayTwoAmSeoul_IsSaturdaySeventeenUtc()
    {
        var seoul = TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul");
        var next = Cron("0 2 * * SUN").Next(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), seoul);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 17, 0, 0, TimeSpan.Zero), next!.Value.ToUniversalTime());
    }

    [Fact]
    public void Next_SkipsWallTimeThatDstSkips()
    {
        // Europe/Berlin 2026-03-29: 02:00 jumps to 03:00, so 02:30 does not exist that day.
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var next = Cron("30 2 * * *").Next(new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero), berlin);
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 0, 30, 0, TimeSpan.Zero), next!.Value.ToUniversalTime());
    }

    [Fact]
    public void Next_RepeatedWallTime_OccursOnceAtFirstInstant()
    {
        // Europe/Berlin 2026-10-25: 03:00 falls back to 02:00; 02:30 happens twice, fire at the first.
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var first = Cron("30 2 * * *").Next(new DateTimeOffset(2026, 10, 24, 12, 0, 0, TimeSpan.Zero), berlin)!.Value;
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero), first.ToUniversalTime());
        var second = Cron("30 2 * * *").Next(first, berlin)!.Value;
        Assert.Equal(new DateTimeOffset(2026, 10, 26, 1, 30, 0, TimeSpan.Zero), second.ToUniversalTime());
    }

    [Theory]
    [InlineData("*/15 9-17 * * MON-FRI", "2026-11-23T09:00:00Z", "2026-11-23T09:15:00Z")]
    [InlineData("0 0 1 * *", "2026-11-22T00:00:00Z", "2026-12-01T00:00:00Z")]
    [InlineData("@daily", "2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z")]
    [InlineData("0 12 13 * FRI", "2026-11-22T00:00:00Z", "2026-11-27T12:00:00Z")] // either day field matches
    [InlineData("0 0 * * 7", "2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z")] // 7 is Sunday too
    public void Next_Utc(string expression, string after, string expected)
    {
        var next = Cron(expression).Next(DateTimeOffset.Parse(after, System.Globalization.CultureInfo.InvariantCulture), TimeZoneInfo.Utc);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), next);
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
    public void TryParse_Invalid_ExplainsField(string expression)
    {
        Assert.False(CronSchedule.TryParse(expression, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
