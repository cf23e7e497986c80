using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Engine;

/// <summary>The live history and the rules' own output (recorded series, ALERTS), read as one.</summary>
internal sealed class CompositeStorage(params ISampleStorage[] parts) : ISampleStorage
{
    public IReadOnlyList<ISeries> Select(IReadOnlyList<LabelMatcher> matchers)
    {
        // Mostly one part holds a selector's series (the live history or the rules' output): its list is the answer.
        IReadOnlyList<ISeries>? single = null;
        List<ISeries>? joined = null;
        foreach (var part in parts)
        {
            var found = part.Select(matchers);
            if (found.Count == 0)
            {
                continue;
            }

            if (single is null)
            {
                single = found;
                continue;
            }

            joined ??= [.. single];
            joined.AddRange(found);
        }

        return joined ?? single ?? [];
    }
}
