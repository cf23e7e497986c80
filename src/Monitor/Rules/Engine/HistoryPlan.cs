using Monitor.Metrics;
using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Engine;

/// <summary>
/// How much history each series needs, from the selectors of the loaded rules: a selector reads back its range
/// (or the 5 m lookback), its offset, and the ranges, offsets and steps of the subqueries around it, so a
/// series is kept as long as the longest reach of any selector that matches it — and not at all when none does.
/// </summary>
internal sealed class HistoryPlan
{
    /// <summary>What one process keeps at most for a selector (an absolute <c>@</c> would otherwise reach back without end).</summary>
    public static readonly long MaxRetentionMs = (long)TimeSpan.FromDays(31).TotalMilliseconds;

    private readonly List<(IReadOnlyList<LabelMatcher> Matchers, long RetentionMs)> _selectors;
    private readonly Dictionary<string, long>? _byName;

    private HistoryPlan(List<(IReadOnlyList<LabelMatcher> Matchers, long RetentionMs)> selectors)
    {
        _selectors = selectors;
        if (selectors.All(s => SeriesSelection.MetricName(s.Matchers) is not null))
        {
            _byName = [];
            foreach (var (matchers, retention) in selectors)
            {
                string name = SeriesSelection.MetricName(matchers)!;
                _byName[name] = Math.Max(_byName.GetValueOrDefault(name), retention);
            }
        }
    }

    public static HistoryPlan Empty { get; } = new([]);

    /// <summary>The longest reach of any selector (0 without rules).</summary>
    public long LongestMs => _selectors.Count == 0 ? 0 : _selectors.Max(s => s.RetentionMs);

    /// <summary>The metric names some selector names (null: a selector names none, so any family may be read).</summary>
    public IReadOnlySet<string>? Names => _byName?.Keys.ToHashSet(StringComparer.Ordinal);

    /// <summary>Builds the plan; <paramref name="stepMs"/> is the evaluation interval (the default subquery step, and the slack between evaluations).</summary>
    /// <paramref name="keepLatestOfAll"/> keeps every series for the lookback of an instant selector.
    public static HistoryPlan For(IEnumerable<Expr> expressions, long stepMs, bool keepLatestOfAll = false)
    {
        var selectors = new List<(IReadOnlyList<LabelMatcher>, long)>();
        foreach (var expr in expressions)
        {
            Walk(expr, 0, stepMs, selectors);
        }

        if (keepLatestOfAll)
        {
            selectors.Add(([], Evaluator.LookbackMs + stepMs));
        }

        return new HistoryPlan(selectors);
    }

    /// <summary>How far back a selector reaches from the evaluation time, in milliseconds.</summary>
    public static List<(VectorSelector Selector, long ReachMs)> Reaches(Expr expr, long stepMs)
    {
        var result = new List<(VectorSelector, long)>();
        WalkSelectors(expr, 0, stepMs, (v, reach) => result.Add((v, reach)), []);
        return result;
    }

    /// <summary>Whether a selector reads at a fixed time: an <c>@</c> with a timestamp on it or on a subquery around it.</summary>
    public static bool ReadsFixedTime(Expr root, VectorSelector selector)
    {
        bool Walk(Expr node, bool fixedAbove) => node switch
        {
            VectorSelector v when ReferenceEquals(v, selector) => fixedAbove || v.At == AtKind.Timestamp,
            SubqueryExpr s => Walk(s.Inner, fixedAbove || s.At == AtKind.Timestamp),
            _ => Parser.Children(node).Any(c => Walk(c, fixedAbove)),
        };

        return Walk(root, false);
    }

    private static void Walk(Expr node, long outer, long stepMs, List<(IReadOnlyList<LabelMatcher>, long)> into) =>
        WalkSelectors(node, outer, stepMs, null, into);

    private static void WalkSelectors(Expr node, long outer, long stepMs, Action<VectorSelector, long>? seen, List<(IReadOnlyList<LabelMatcher>, long)> into)
    {
        switch (node)
        {
            case VectorSelector v:
                Add(v, Evaluator.LookbackMs);
                return;
            case MatrixSelector { Selector: VectorSelector mv } m:
                Add(mv, m.RangeMs);
                return;
            case SubqueryExpr s:
            {
                long reach = s.At == AtKind.Timestamp ? MaxRetentionMs : outer + s.RangeMs + Math.Max(0, s.OriginalOffset) + (s.StepMs != 0 ? s.StepMs : stepMs);
                WalkSelectors(s.Inner, Math.Min(reach, MaxRetentionMs), stepMs, seen, into);
                return;
            }
        }

        foreach (var child in Parser.Children(node))
        {
            WalkSelectors(child, outer, stepMs, seen, into);
        }

        void Add(VectorSelector v, long window)
        {
            long reach = v.At == AtKind.Timestamp ? MaxRetentionMs : outer + window + Math.Max(0, v.OriginalOffset) + stepMs;
            reach = Math.Min(reach, MaxRetentionMs);
            into.Add((v.Matchers, reach));
            seen?.Invoke(v, reach);
        }
    }

    /// <summary>How long a series with these labels must be kept (0: no selector reads it).</summary>
    public long RetentionFor(Label[] labels)
    {
        if (_byName is not null && !_byName.ContainsKey(LabelSet.Get(labels, LabelSet.MetricName)))
        {
            return 0;
        }

        long keep = 0;
        foreach (var (matchers, retention) in _selectors)
        {
            if (retention > keep && MatchesAll(matchers, labels))
            {
                keep = retention;
            }
        }

        return keep;
    }

    // A loop, not LINQ: this runs for every held series at every evaluation, and a lambda capturing the labels
    // costs an allocation per call.
    private static bool MatchesAll(IReadOnlyList<LabelMatcher> matchers, Label[] labels)
    {
        for (int i = 0; i < matchers.Count; i++)
        {
            if (!matchers[i].Matches(LabelSet.Get(labels, matchers[i].Name)))
            {
                return false;
            }
        }

        return true;
    }
}
