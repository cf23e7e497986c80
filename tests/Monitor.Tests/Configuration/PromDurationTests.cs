using Monitor.Configuration;

namespace Monitor.Tests.Configuration;

public class PromDurationTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("2d", 172_800_000)]
    [InlineData("1w", 604_800_000)]
    [InlineData("1y", 31_536_000_000)]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    public void TryParse_PrometheusSyntax_Parses(string text, long ms)
    {
        Assert.True(PromDuration.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), d);
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("1.5s")]
    [InlineData("-1s")]
    [InlineData("5x")]
    [InlineData("1s1h")] // units out of order
    [InlineData("1s1s")]
    [InlineData("30 s")]
    [InlineData("30S")]
    public void TryParse_Invalid_IsRejected(string text) => Assert.False(PromDuration.TryParse(text, out _));

    [Theory]
    [InlineData(5_400_000, "1h30m")]
    [InlineData(500, "500ms")]
    [InlineData(0, "0s")]
    [InlineData(604_800_000, "1w")]
    public void Format_RoundTrips(long ms, string text)
    {
        Assert.Equal(text, PromDuration.Format(TimeSpan.FromMilliseconds(ms)));
        Assert.True(PromDuration.TryParse(text, out var back));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), back);
    }
}
