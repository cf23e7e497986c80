using Monitor.Rules.Testing;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Rules.Testing;

/// <summary>
/// Every function and operator of the subset, through the promtool-format files whose expectations were
/// produced by Prometheus 2.42 (the integration tests also run them through promtool itself).
/// </summary>
public class RuleTestRunnerTests
{
    [Theory]
    [InlineData("tests/Monitor.IntegrationTests/RuleEquivalence/constructs.test.yml")]
    [InlineData("alerts/tests/openwebui.test.yml")]
    [InlineData("alerts/tests/kubernetes.test.yml")]
    [InlineData("alerts/tests/node.test.yml")]
    [InlineData("alerts/tests/monitor.test.yml")]
    public void RunFile_PrometheusExpectations_AllHold(string file) => Assert.Empty(RuleTestRunner.RunFile(Repository.File(file)));

    [Fact]
    public void RunFile_MistakesInTheTestFile_AreAllReported()
    {
        string file = Path.Combine(Path.GetTempPath(), "bad-" + Guid.NewGuid().ToString("N")[..8] + ".test.yml");
        File.WriteAllText(file, "rule_files: []\nevaluation_interval: soon\ntests:\n  - interval: 1m\n    bogus: 1\n    input_series: []\n");
        var errors = RuleTestRunner.RunFile(file);
        File.Delete(file);
        Assert.Equal(2, errors.Count);
        Assert.Contains(":2:22: evaluation_interval: invalid duration \"soon\"", errors[0]);
        Assert.Contains(":5:5: tests[0]: unknown key \"bogus\"", errors[1]);
    }

    [Theory]
    [InlineData("1+2x3", "1 3 5 7")]
    [InlineData("5-1x2", "5 4 3")]
    [InlineData("7x2", "7 7 7")]
    [InlineData("1 _ 3", "1 _ 3")]
    [InlineData("_x3 4", "_ _ _ 4")]
    [InlineData("1 stale", "1 stale")]
    [InlineData("-2+0.5x2 Inf", "-2 -1.5 -1 +Inf")]
    public void SeriesValues_ExpandPromtoolNotation(string input, string expected)
    {
        var values = SeriesValues.Expand(input).Select(v => v switch
        {
            null => "_",
            { } d when Monitor.Rules.Evaluation.StoredSeries.IsStale(d) => "stale",
            { } d when double.IsPositiveInfinity(d) => "+Inf",
            { } d => d.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        Assert.Equal(expected, string.Join(" ", values));
    }

    [Theory]
    [InlineData(1, "1E+00")]
    [InlineData(0.5, "5E-01")]
    [InlineData(420, "4.2E+02")]
    [InlineData(0.16666666666666669, "1.6666666666666669E-01")]
    [InlineData(double.NaN, "NaN")]
    public void FormatE_MatchesGoStrconv(double value, string expected) => Assert.Equal(expected, RuleTestRunner.FormatE(value));
}
