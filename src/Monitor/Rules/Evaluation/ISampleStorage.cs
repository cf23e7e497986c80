using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>Where the evaluator reads series from: the live series history, or a rule test's input series.</summary>
internal interface ISampleStorage
{
    IEnumerable<StoredSeries> Select(IReadOnlyList<LabelMatcher> matchers);
}
