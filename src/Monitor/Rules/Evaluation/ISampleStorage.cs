using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>Where the evaluator reads series from: the live series history, or a rule test's input series.</summary>
internal interface ISampleStorage
{
    IEnumerable<StoredSeries> Select(IReadOnlyList<LabelMatcher> matchers);
}

/// <summary>What every storage's Select shares: the metric name to look up, and the matchers to filter by.</summary>
internal static class SeriesSelection
{
    /// <summary>The metric name a selector names by equality, or null (then every series is a candidate).</summary>
    public static string? MetricName(IReadOnlyList<LabelMatcher> matchers) =>
        matchers.FirstOrDefault(m => m.Name == LabelSet.MetricName && m.Type == MatcherType.Equal)?.Value;

    public static IEnumerable<StoredSeries> Filter(IEnumerable<StoredSeries> candidates, IReadOnlyList<LabelMatcher> matchers) =>
        candidates.Where(s => matchers.All(m => m.Matches(LabelSet.Get(s.Labels, m.Name))));
}
