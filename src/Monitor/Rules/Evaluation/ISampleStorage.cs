using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>Where selectors read series from: the live history, a rule test's input, the rules' own output.</summary>
internal interface ISampleStorage
{
    /// <summary>The series every matcher matches, in any order; the list is the caller's to read, never to change.</summary>
    IReadOnlyList<ISeries> Select(IReadOnlyList<LabelMatcher> matchers);
}

/// <summary>What every storage's Select shares: the metric name to look up, and the matchers to filter by.</summary>
internal static class SeriesSelection
{
    /// <summary>The metric name a selector names by equality, or null (then every series is a candidate).</summary>
    public static string? MetricName(IReadOnlyList<LabelMatcher> matchers) =>
        matchers.FirstOrDefault(m => m.Name == LabelSet.MetricName && m.Type == MatcherType.Equal)?.Value;

    public static IEnumerable<T> Filter<T>(IEnumerable<T> candidates, IReadOnlyList<LabelMatcher> matchers)
        where T : ISeries =>
        candidates.Where(s => matchers.All(m => m.Matches(LabelSet.Get(s.Labels, m.Name))));
}
