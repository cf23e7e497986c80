namespace Monitor.IntegrationTests.TestSupport;

/// <summary>
/// How far a running Monitor has got, in its own work rather than wall time: the runs of each check
/// (<c>monitor_check_runs_total</c>, success and failure; skipped runs did nothing) and the rule evaluations
/// (<c>monitor_rule_evaluation_duration_seconds_count</c>), which count only while rule groups are loaded
/// (<c>monitor_rule_groups</c>): with none the engine does no work, and there is none to wait for.
/// </summary>
internal sealed record ServiceProgress(IReadOnlyDictionary<string, double> CheckRuns, double Evaluations, double RuleGroups = 0)
{
    public static ServiceProgress Of(MetricSamples metrics) => new(
        metrics.Series("monitor_check_runs_total")
            .Where(s => s.Labels["result"] is "success" or "failure")
            .GroupBy(s => s.Labels["check"], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(s => s.Value), StringComparer.Ordinal),
        metrics.Sum("monitor_rule_evaluation_duration_seconds_count"),
        metrics.Sum("monitor_rule_groups"));

    public static async Task<ServiceProgress> ReadAsync(MonitorProcess monitor) => Of(await MetricSamples.ReadAsync(monitor));

    /// <summary>Every check of <paramref name="earlier"/> has run, and the rules have been evaluated, at least <paramref name="times"/> more since.</summary>
    public bool IsPast(ServiceProgress earlier, int times) =>
        (RuleGroups == 0 || Evaluations - earlier.Evaluations >= times)
        && earlier.CheckRuns.All(c => CheckRuns.GetValueOrDefault(c.Key) - c.Value >= times);

    public override string ToString() =>
        $"evaluations {Evaluations}, runs {string.Join(", ", CheckRuns.Select(c => $"{c.Key} {c.Value}"))}";
}
