using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;
using Monitor.Rules.RuleFiles;

namespace Monitor.Tests.Configuration;

/// <summary>
/// Durations are bounded where they are read: a value a time computation cannot take (20000y overflows a
/// DateTime once added to now) is an error naming the place, the field and the value, not a crash later.
/// </summary>
public class DurationBoundsTests
{
    private static string[] Errors(string yaml) =>
        [.. MonitorConfig.Parse(yaml, "monitor.yaml", _ => null, p => throw new FileNotFoundException(p)).Errors.Select(e => e.ToString())];

    [Fact]
    public void ConfigDurations_OverTheMaximum_AreErrorsWithPlaceFieldAndValue()
    {
        Assert.Equal(
            ["monitor.yaml:1:23: defaults.interval: duration \"20000y\" is longer than the maximum 10y"],
            Errors("defaults: { interval: 20000y }\n"));
        Assert.Equal(
            ["monitor.yaml:1:65: checks[0].interval: duration \"11y\" is longer than the maximum 10y"],
            Errors("checks: [ { name: c, tcp: { address: \"127.0.0.1:1\" }, interval: 11y } ]\n"));
        var errors = Errors("silences:\n  - { name: s, cron: \"0 2 * * SUN\", duration: 20000y, matchers: { a: b } }\n");
        Assert.Equal(["monitor.yaml:2:47: silences[0].duration: duration \"20000y\" is longer than the maximum 10y"], errors);
        Assert.Empty(Errors("defaults: { interval: 10y, timeout: 1s }\n"));
    }

    [Fact]
    public void RuleDurations_OverTheMaximum_AreErrors()
    {
        var load = RuleFileLoader.Parse(
            "groups:\n  - name: g\n    interval: 20000y\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 20000y\n        keep_firing_for: 50y\n",
            "r.yml");
        var errors = load.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains("r.yml:3:15: groups[0].interval: duration \"20000y\" is longer than the maximum 10y", errors);
        Assert.Contains(errors, e => e.StartsWith("r.yml:7:14: ", StringComparison.Ordinal) && e.EndsWith("for: duration \"20000y\" is longer than the maximum 10y", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("r.yml:8:26: ", StringComparison.Ordinal) && e.EndsWith("keep_firing_for: duration \"50y\" is longer than the maximum 10y", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("x offset 290y")]
    [InlineData("x offset -290y")]
    [InlineData("rate(x[290y])")]
    [InlineData("max_over_time(x[290y:290y])")]
    [InlineData("x @ 9999999999999")]
    public void PromQLDurations_UpToPrometheusMaximum_EvaluateOrFailCleanly(string expr)
    {
        var storage = new MemoryStorage();
        var series = storage.GetOrAdd([new Monitor.Metrics.Label("__name__", "x")]);
        series.Add(1000, 1);
        var ex = Record.Exception(() => Evaluator.Query(Parser.Parse(expr), 60_000, storage, 60_000));
        Assert.True(ex is null or PromQLException, $"{expr}: {ex}");
        Assert.Throws<PromQLException>(() => Parser.Parse("x[20000y]"));
    }
}
