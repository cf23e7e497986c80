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
    [InlineData(60_000, "1m0s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(61_000, "1m1s")]
    [InlineData(1_500, "1.5s")]
    [InlineData(500, "500ms")]
    [InlineData(0, "0s")]
    public void GoDuration_MatchesTimeDurationString(long ms, string expected) => Assert.Equal(expected, RuleTestRunner.GoDuration(ms));

    [Theory]
    [InlineData(".inf", double.PositiveInfinity)]
    [InlineData("-.Inf", double.NegativeInfinity)]
    [InlineData("1e3", 1000.0)]
    [InlineData("0x10", 16.0)]
    [InlineData("1_000", 1000.0)]
    [InlineData("-0.25", -0.25)]
    public void YamlFloat_ReadsWhatGoYamlReads(string text, double expected) => Assert.Equal(expected, RuleTestRunner.YamlFloat(text));

    [Fact]
    public void YamlFloat_Nan_AndGarbage()
    {
        Assert.True(double.IsNaN(RuleTestRunner.YamlFloat(".nan")!.Value));
        Assert.Null(RuleTestRunner.YamlFloat("soon"));
    }

    [Theory]
    [InlineData(1, "1E+00")]
    [InlineData(0.5, "5E-01")]
    [InlineData(420, "4.2E+02")]
    [InlineData(0.16666666666666669, "1.6666666666666669E-01")]
    [InlineData(double.NaN, "NaN")]
    public void FormatE_MatchesGoStrconv(double value, string expected) => Assert.Equal(expected, RuleTestRunner.FormatE(value));
}
