using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Engine;

/// <summary>The live history and the rules' own output (recorded series, ALERTS), read as one.</summary>
internal sealed class CompositeStorage(params ISampleStorage[] parts) : ISampleStorage
{
    public IEnumerable<ISeries> Select(IReadOnlyList<LabelMatcher> matchers) => parts.SelectMany(p => p.Select(matchers));
}
