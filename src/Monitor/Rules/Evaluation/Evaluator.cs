using Monitor.Metrics;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>
/// Evaluates a parsed expression at one instant, with Prometheus 2.42's semantics: 5 m lookback, staleness
/// markers, ranges closed at both ends, <c>__name__</c> dropped by functions and arithmetic, and the same
/// float arithmetic (incremental means, counter-reset handling, rate extrapolation) so results agree with
/// promtool to the bit.
/// </summary>
internal sealed partial class Evaluator(ISampleStorage storage)
{
    public static readonly long LookbackMs = (long)TimeSpan.FromMinutes(5).TotalMilliseconds;

    /// <summary>Evaluates to a double (scalar), a <see cref="List{PromSample}"/> (instant vector) or a string.</summary>
    public object Evaluate(Expr expr, long timeMs) => expr switch
    {
        NumberLiteral n => n.Value,
        StringLiteral s => s.Value,
        Paren p => Evaluate(p.Inner, timeMs),
        VectorSelector v => SelectInstant(v, timeMs),
        Unary u => Negate(Evaluate(u.Inner, timeMs)),
        Binary b => EvaluateBinary(b, timeMs),
        Aggregate a => EvaluateAggregate(a, (List<PromSample>)Evaluate(a.Inner, timeMs)),
        Call c => EvaluateCall(c, timeMs),
        MatrixSelector => throw new PromQLException("a range vector cannot be the result of an expression; wrap it in a function such as rate()"),
        _ => throw new PromQLException($"unsupported expression {expr.GetType().Name}"),
    };

    public List<PromSample> SelectInstant(VectorSelector selector, long timeMs)
    {
        var result = new List<PromSample>();
        foreach (var series in storage.Select(selector.Matchers))
        {
            int i = series.LastIndexAtOrBefore(timeMs);
            if (i < 0 || series.Times[i] < timeMs - LookbackMs || StoredSeries.IsStale(series.Values[i]))
            {
                continue;
            }

            result.Add(new PromSample(series.Labels, series.Values[i]));
        }

        return result;
    }

    /// <summary>Each matching series with its non-stale samples in [t - range, t].</summary>
    public List<(Label[] Labels, List<(long T, double V)> Points)> SelectRange(MatrixSelector matrix, long timeMs)
    {
        long start = timeMs - (long)matrix.Range.TotalMilliseconds;
        var result = new List<(Label[], List<(long, double)>)>();
        foreach (var series in storage.Select(matrix.Selector.Matchers))
        {
            var points = new List<(long, double)>();
            int i = series.Times.BinarySearch(start);
            for (i = i >= 0 ? i : ~i; i < series.Times.Count && series.Times[i] <= timeMs; i++)
            {
                if (!StoredSeries.IsStale(series.Values[i]))
                {
                    points.Add((series.Times[i], series.Values[i]));
                }
            }

            if (points.Count > 0)
            {
                result.Add((series.Labels, points));
            }
        }

        return result;
    }

    private static object Negate(object value) => value switch
    {
        double d => -d,
        List<PromSample> v => v.Select(s => new PromSample(LabelSet.DropName(s.Labels), -s.Value)).ToList(),
        _ => throw new PromQLException("unary minus on a string"),
    };

    private static List<PromSample> EvaluateAggregate(Aggregate a, List<PromSample> input)
    {
        var groups = new Dictionary<string, (Label[] Labels, double Value, double Mean, int Count)>(StringComparer.Ordinal);
        var order = new List<string>();
        var without = a.Without ? a.Grouping.Append(LabelSet.MetricName).ToHashSet(StringComparer.Ordinal) : null;
        var by = a.Without ? null : a.Grouping.ToHashSet(StringComparer.Ordinal);
        foreach (var sample in input)
        {
            var labels = without is not null ? LabelSet.Without(sample.Labels, without) : LabelSet.Keep(sample.Labels, by!);
            string key = LabelSet.Key(labels);
            if (!groups.TryGetValue(key, out var group))
            {
                order.Add(key);
                groups[key] = (labels, a.Op == "count" ? 1 : sample.Value, sample.Value, 1);
                continue;
            }

            group.Count++;
            switch (a.Op)
            {
                case "sum":
                    group.Value += sample.Value;
                    break;
                case "avg":
                    // Prometheus' incremental mean, kept identical so results match bit for bit.
                    if (double.IsInfinity(group.Mean))
                    {
                        if (double.IsInfinity(sample.Value) && Math.Sign(group.Mean) == Math.Sign(sample.Value))
                        {
                            break;
                        }

                        if (!double.IsInfinity(sample.Value) && !double.IsNaN(sample.Value))
                        {
                            break;
                        }
                    }

                    group.Mean += (sample.Value / group.Count) - (group.Mean / group.Count);
                    break;
                case "min":
                    if (group.Value > sample.Value || double.IsNaN(group.Value))
                    {
                        group.Value = sample.Value;
                    }

                    break;
                case "max":
                    if (group.Value < sample.Value || double.IsNaN(group.Value))
                    {
                        group.Value = sample.Value;
                    }

                    break;
                case "count":
                    group.Value = group.Count;
                    break;
            }

            groups[key] = group;
        }

        return [.. order.Select(k => groups[k]).Select(g => new PromSample(g.Labels, a.Op == "avg" ? g.Mean : g.Value))];
    }
}
