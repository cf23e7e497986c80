using Monitor.GoCompat;
using Monitor.Metrics;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>Binary operators and aggregations, as engine.go's VectorBinop, VectorAnd/Or/Unless and aggregation.</summary>
internal sealed partial class Evaluator
{
    private Stepwise BinaryStep(BinaryExpr e)
    {
        var lt = e.Lhs.Type;
        var rt = e.Rhs.Type;
        if (lt == PromType.Scalar && rt == PromType.Scalar)
        {
            return new Stepwise(null, (v, _, ts) => [new PromSample([], ts, ScalarBinop(e.Op, v[0][0].V, v[1][0].V))], [e.Lhs, e.Rhs]);
        }

        if (lt == PromType.Vector && rt == PromType.Vector)
        {
            var matching = e.Matching!;
            var names = matching.MatchingLabels.Order(StringComparer.Ordinal).ToList();
            Func<Label[], string> signature = matching.On
                ? l => Labels.KeyWith(l, names)
                : l => Labels.KeyWithout(l, names);
            return e.Op switch
            {
                ItemType.LAnd => new Stepwise(signature, (v, k, _) => VectorAnd(v[0], v[1], k[0], k[1]), [e.Lhs, e.Rhs]),
                ItemType.LOr => new Stepwise(signature, (v, k, _) => VectorOr(v[0], v[1], k[0], k[1]), [e.Lhs, e.Rhs]),
                ItemType.LUnless => new Stepwise(signature, (v, k, _) => VectorUnless(v[0], v[1], k[0], k[1]), [e.Lhs, e.Rhs]),
                _ => new Stepwise(signature, (v, k, _) => VectorBinop(e.Op, v[0], v[1], matching, e.ReturnBool, k[0], k[1]), [e.Lhs, e.Rhs]),
            };
        }

        if (lt == PromType.Vector)
        {
            return new Stepwise(null, (v, _, _) => VectorScalarBinop(e.Op, v[0], v[1][0].V, swap: false, e.ReturnBool), [e.Lhs, e.Rhs]);
        }

        return new Stepwise(null, (v, _, _) => VectorScalarBinop(e.Op, v[1], v[0][0].V, swap: true, e.ReturnBool), [e.Lhs, e.Rhs]);
    }

    /// <summary>The pool's key set, filled with <paramref name="keys"/>; the caller empties it when done.</summary>
    private HashSet<string> KeySet(List<string> keys)
    {
        var set = _ctx.Pool.Keys;
        set.Clear();
        foreach (string key in keys)
        {
            set.Add(key);
        }

        return set;
    }

    private List<PromSample> VectorAnd(List<PromSample> lhs, List<PromSample> rhs, List<string> lk, List<string> rk)
    {
        var result = _ctx.Pool.Vector(lhs.Count);
        if (lhs.Count == 0 || rhs.Count == 0)
        {
            return result;
        }

        var right = KeySet(rk);
        for (int i = 0; i < lhs.Count; i++)
        {
            if (right.Contains(lk[i]))
            {
                result.Add(lhs[i]);
            }
        }

        right.Clear();
        return result;
    }

    private List<PromSample> VectorOr(List<PromSample> lhs, List<PromSample> rhs, List<string> lk, List<string> rk)
    {
        var result = _ctx.Pool.Vector(lhs.Count + rhs.Count);
        result.AddRange(lhs);
        if (lhs.Count == 0 || rhs.Count == 0)
        {
            result.AddRange(rhs);
            return result;
        }

        var left = KeySet(lk);
        for (int j = 0; j < rhs.Count; j++)
        {
            if (!left.Contains(rk[j]))
            {
                result.Add(rhs[j]);
            }
        }

        left.Clear();
        return result;
    }

    private List<PromSample> VectorUnless(List<PromSample> lhs, List<PromSample> rhs, List<string> lk, List<string> rk)
    {
        var result = _ctx.Pool.Vector(lhs.Count);
        if (lhs.Count == 0 || rhs.Count == 0)
        {
            result.AddRange(lhs);
            return result;
        }

        var right = KeySet(rk);
        for (int i = 0; i < lhs.Count; i++)
        {
            if (!right.Contains(lk[i]))
            {
                result.Add(lhs[i]);
            }
        }

        right.Clear();
        return result;
    }

    private List<PromSample> VectorBinop(ItemType op, List<PromSample> lhs, List<PromSample> rhs, VectorMatching matching, bool returnBool, List<string> lk, List<string> rk)
    {
        var result = _ctx.Pool.Vector();
        if (lhs.Count == 0 || rhs.Count == 0)
        {
            return result;
        }

        if (matching.Card == Cardinality.OneToMany)
        {
            (lhs, rhs) = (rhs, lhs);
            (lk, rk) = (rk, lk);
        }

        var rightSigs = new Dictionary<string, PromSample>(rhs.Count, StringComparer.Ordinal);
        for (int i = 0; i < rhs.Count; i++)
        {
            var rs = rhs[i];
            if (rightSigs.TryGetValue(rk[i], out var duplicate))
            {
                string oneSide = matching.Card == Cardinality.OneToMany ? "left" : "right";
                var matched = matching.On
                    ? rs.Metric.Where(l => matching.MatchingLabels.Contains(l.Name)).ToArray()
                    : rs.Metric.Where(l => !matching.MatchingLabels.Contains(l.Name) && l.Name != LabelSet.MetricName).ToArray();
                throw Error($"found duplicate series for the match group {Format(matched)} on the {oneSide} hand-side of the operation: [{Format(rs.Metric)}, {Format(duplicate.Metric)}];many-to-many matching not allowed: matching labels must be unique on one side");
            }

            rightSigs[rk[i]] = rs;
        }

        var matchedSigs = new Dictionary<string, HashSet<Label[]>?>(StringComparer.Ordinal);
        for (int i = 0; i < lhs.Count; i++)
        {
            var ls = lhs[i];
            if (!rightSigs.TryGetValue(lk[i], out var rs))
            {
                continue;
            }

            double vl = ls.V;
            double vr = rs.V;
            if (matching.Card == Cardinality.OneToMany)
            {
                (vl, vr) = (vr, vl);
            }

            var (value, keep) = VectorElemBinop(op, vl, vr);
            if (returnBool)
            {
                value = keep ? 1 : 0;
            }
            else if (!keep)
            {
                continue;
            }

            var metric = ResultMetric(ls.Metric, rs.Metric, op, matching);
            if (returnBool)
            {
                metric = LabelSet.DropName(metric);
            }

            bool exists = matchedSigs.TryGetValue(lk[i], out var inserted);
            if (matching.Card == Cardinality.OneToOne)
            {
                if (exists)
                {
                    throw Error("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
                }

                matchedSigs[lk[i]] = null;
            }
            else
            {
                if (!exists)
                {
                    inserted = new HashSet<Label[]>(Labels.Comparer);
                    matchedSigs[lk[i]] = inserted;
                }
                else if (inserted!.Contains(metric))
                {
                    throw Error("multiple matches for labels: grouping labels must ensure unique matches");
                }

                inserted!.Add(metric);
            }

            result.Add(new PromSample(metric, 0, value));
        }

        return result;
    }

    /// <summary>labels.String(): <c>{a="b", c="d"}</c> with <c>__name__</c> as a label.</summary>
    internal static string Format(Label[] labels) =>
        "{" + string.Join(", ", labels.Select(l => $"{l.Name}={GoText.Quote(l.Value)}")) + "}";

    private static Label[] ResultMetric(Label[] lhs, Label[] rhs, ItemType op, VectorMatching matching)
    {
        var b = new Labels.Builder(lhs);
        if (ShouldDropMetricName(op))
        {
            b.Del(LabelSet.MetricName);
        }

        if (matching.Card == Cardinality.OneToOne)
        {
            if (matching.On)
            {
                b.Keep(matching.MatchingLabels);
            }
            else
            {
                b.Del(matching.MatchingLabels);
            }
        }

        foreach (string name in matching.Include)
        {
            string v = LabelSet.Get(rhs, name);
            if (v.Length > 0)
            {
                b.Set(name, v);
            }
            else
            {
                b.Del(name);
            }
        }

        return b.Labels();
    }

    private List<PromSample> VectorScalarBinop(ItemType op, List<PromSample> lhs, double scalar, bool swap, bool returnBool)
    {
        var result = _ctx.Pool.Vector(lhs.Count);
        foreach (var sample in lhs)
        {
            double lv = sample.V;
            double rv = scalar;
            if (swap)
            {
                (lv, rv) = (rv, lv);
            }

            var (value, keep) = VectorElemBinop(op, lv, rv);
            if (op.IsComparison() && swap)
            {
                value = rv;
            }

            if (returnBool)
            {
                value = keep ? 1 : 0;
                keep = true;
            }

            if (keep)
            {
                var metric = ShouldDropMetricName(op) || returnBool ? LabelSet.DropName(sample.Metric) : sample.Metric;
                result.Add(new PromSample(metric, sample.T, value));
            }
        }

        return result;
    }

    private static bool ShouldDropMetricName(ItemType op) =>
        op is ItemType.Add or ItemType.Sub or ItemType.Div or ItemType.Mul or ItemType.Pow or ItemType.Mod;

    private static double ScalarBinop(ItemType op, double lhs, double rhs) => op switch
    {
        ItemType.Add => lhs + rhs,
        ItemType.Sub => lhs - rhs,
        ItemType.Mul => lhs * rhs,
        ItemType.Div => lhs / rhs,
        ItemType.Pow => GoMath.Pow(lhs, rhs),
        ItemType.Mod => GoMath.Mod(lhs, rhs),
        ItemType.Eqlc => lhs == rhs ? 1 : 0,
        ItemType.Neq => lhs != rhs ? 1 : 0,
        ItemType.Gtr => lhs > rhs ? 1 : 0,
        ItemType.Lss => lhs < rhs ? 1 : 0,
        ItemType.Gte => lhs >= rhs ? 1 : 0,
        ItemType.Lte => lhs <= rhs ? 1 : 0,
        ItemType.Atan2 => GoMath.Atan2(lhs, rhs),
        _ => throw Error($"operator {GoText.Quote(op.Text())} not allowed for Scalar operations"),
    };

    private static (double Value, bool Keep) VectorElemBinop(ItemType op, double lhs, double rhs) => op switch
    {
        ItemType.Add => (lhs + rhs, true),
        ItemType.Sub => (lhs - rhs, true),
        ItemType.Mul => (lhs * rhs, true),
        ItemType.Div => (lhs / rhs, true),
        ItemType.Pow => (GoMath.Pow(lhs, rhs), true),
        ItemType.Mod => (GoMath.Mod(lhs, rhs), true),
        ItemType.Eqlc => (lhs, lhs == rhs),
        ItemType.Neq => (lhs, lhs != rhs),
        ItemType.Gtr => (lhs, lhs > rhs),
        ItemType.Lss => (lhs, lhs < rhs),
        ItemType.Gte => (lhs, lhs >= rhs),
        ItemType.Lte => (lhs, lhs <= rhs),
        ItemType.Atan2 => (GoMath.Atan2(lhs, rhs), true),
        _ => throw Error($"operator {GoText.Quote(op.Text())} not allowed for operations between Vectors"),
    };

    // ---- aggregation ----

    private Stepwise AggregateStep(AggregateExpr e)
    {
        var grouping = e.Grouping.Order(StringComparer.Ordinal).ToList();
        Func<Label[], string> key = e.Without
            ? l => Labels.KeyWithout(l, grouping)
            : grouping.Count == 0 ? _ => string.Empty : l => Labels.KeyWith(l, grouping);
        var param = e.Param is null ? null : Unwrap(e.Param);
        if (param is StringLiteral s)
        {
            return new Stepwise(key, (v, k, _) => Aggregation(e.Op, grouping, e.Without, s.Value, v[0], k[0]), [e.Inner]);
        }

        return new Stepwise(key, (v, k, _) =>
        {
            object? p = e.Param is null ? null : v[0][0].V;
            return Aggregation(e.Op, grouping, e.Without, p, v[1], k[1]);
        }, [e.Param, e.Inner]);
    }

    private sealed class Group
    {
        public required Label[] Labels { get; init; }

        public double Value { get; set; }

        public double Mean { get; set; }

        public int Count { get; set; }

        public List<PromSample>? Heap { get; set; }
    }

    private static readonly Func<PromSample, PromSample, bool> ByValue = (a, b) => double.IsNaN(a.V) || a.V < b.V;

    private static readonly Func<PromSample, PromSample, bool> ByReverseValue = (a, b) => double.IsNaN(a.V) || a.V > b.V;

    private List<PromSample> Aggregation(ItemType op, List<string> grouping, bool without, object? param, List<PromSample> vec, List<string> keys)
    {
        var result = new Dictionary<string, Group>(StringComparer.Ordinal);
        var ordered = new List<Group>();
        long k = 0;
        if (op is ItemType.Topk or ItemType.Bottomk)
        {
            double f = (double)param!;
            if (!(f <= 9223372036854774784.0 && f >= -9223372036854775808.0))
            {
                throw Error($"Scalar value {GoFloat.FormatG(f)} overflows int64");
            }

            k = (long)f;
            if (k < 1)
            {
                return _ctx.Pool.Vector();
            }
        }

        double q = op == ItemType.Quantile ? (double)param! : 0;
        string valueLabel = string.Empty;
        bool recompute = false;
        if (op == ItemType.CountValues)
        {
            valueLabel = (string)param!;
            if (!IsLabelName(valueLabel))
            {
                throw Error($"invalid label name {GoText.Quote(valueLabel)}");
            }

            if (!without)
            {
                grouping = [.. grouping.Append(valueLabel).Order(StringComparer.Ordinal)];
                recompute = true;
            }
        }

        for (int si = 0; si < vec.Count; si++)
        {
            var s = vec[si];
            var metric = s.Metric;
            if (op == ItemType.CountValues)
            {
                metric = new Labels.Builder(metric).Set(valueLabel, GoFloat.FormatF(s.V)).Labels();
                recompute = true;
            }

            string groupKey = !recompute ? keys[si]
                : without ? Labels.KeyWithout(metric, grouping)
                : grouping.Count == 0 ? string.Empty : Labels.KeyWith(metric, grouping);
            if (!result.TryGetValue(groupKey, out var group))
            {
                Label[] m;
                if (without)
                {
                    m = new Labels.Builder(metric).Del(grouping).Del(LabelSet.MetricName).Labels();
                }
                else if (grouping.Count > 0)
                {
                    m = new Labels.Builder(metric).Keep(grouping).Labels();
                }
                else
                {
                    m = [];
                }

                group = new Group { Labels = m, Value = s.V, Mean = s.V, Count = 1 };
                switch (op)
                {
                    case ItemType.Stdvar or ItemType.Stddev:
                        group.Value = 0;
                        break;
                    case ItemType.Topk or ItemType.Quantile:
                    case ItemType.Bottomk:
                        group.Heap = [new PromSample(s.Metric, 0, s.V)];
                        break;
                    case ItemType.Group:
                        group.Value = 1;
                        break;
                }

                result[groupKey] = group;
                ordered.Add(group);
                continue;
            }

            switch (op)
            {
                case ItemType.Sum:
                    group.Value += s.V;
                    break;
                case ItemType.Avg:
                    group.Count++;
                    if (double.IsInfinity(group.Mean))
                    {
                        if (double.IsInfinity(s.V) && (group.Mean > 0) == (s.V > 0))
                        {
                            break;
                        }

                        if (!double.IsInfinity(s.V) && !double.IsNaN(s.V))
                        {
                            break;
                        }
                    }

                    group.Mean += (s.V / group.Count) - (group.Mean / group.Count);
                    break;
                case ItemType.Group:
                    break;
                case ItemType.Max:
                    if (group.Value < s.V || double.IsNaN(group.Value))
                    {
                        group.Value = s.V;
                    }

                    break;
                case ItemType.Min:
                    if (group.Value > s.V || double.IsNaN(group.Value))
                    {
                        group.Value = s.V;
                    }

                    break;
                case ItemType.Count or ItemType.CountValues:
                    group.Count++;
                    break;
                case ItemType.Stdvar or ItemType.Stddev:
                {
                    group.Count++;
                    double delta = s.V - group.Mean;
                    group.Mean += delta / group.Count;
                    group.Value += delta * (s.V - group.Mean);
                    break;
                }

                case ItemType.Topk:
                {
                    var heap = group.Heap!;
                    if (heap.Count < k || heap[0].V < s.V || double.IsNaN(heap[0].V))
                    {
                        if (heap.Count == k)
                        {
                            if (k == 1)
                            {
                                heap[0] = new PromSample(s.Metric, 0, s.V);
                                break;
                            }

                            GoSort.HeapPop(heap, ByValue);
                        }

                        GoSort.HeapPush(heap, new PromSample(s.Metric, 0, s.V), ByValue);
                    }

                    break;
                }

                case ItemType.Bottomk:
                {
                    var heap = group.Heap!;
                    if (heap.Count < k || heap[0].V > s.V || double.IsNaN(heap[0].V))
                    {
                        if (heap.Count == k)
                        {
                            if (k == 1)
                            {
                                heap[0] = new PromSample(s.Metric, 0, s.V);
                                break;
                            }

                            GoSort.HeapPop(heap, ByReverseValue);
                        }

                        GoSort.HeapPush(heap, new PromSample(s.Metric, 0, s.V), ByReverseValue);
                    }

                    break;
                }

                case ItemType.Quantile:
                    group.Heap!.Add(s);
                    break;
            }
        }

        var output = _ctx.Pool.Vector(ordered.Count);
        foreach (var aggr in ordered)
        {
            switch (op)
            {
                case ItemType.Avg:
                    aggr.Value = aggr.Mean;
                    break;
                case ItemType.Count or ItemType.CountValues:
                    aggr.Value = aggr.Count;
                    break;
                case ItemType.Stdvar:
                    aggr.Value /= aggr.Count;
                    break;
                case ItemType.Stddev:
                    aggr.Value = Math.Sqrt(aggr.Value / aggr.Count);
                    break;
                case ItemType.Topk:
                    if (aggr.Heap!.Count > 1)
                    {
                        GoSort.SortReverse(aggr.Heap, ByValue);
                    }

                    output.AddRange(aggr.Heap.Select(v => new PromSample(v.Metric, 0, v.V)));
                    continue;
                case ItemType.Bottomk:
                    if (aggr.Heap!.Count > 1)
                    {
                        GoSort.SortReverse(aggr.Heap, ByReverseValue);
                    }

                    output.AddRange(aggr.Heap.Select(v => new PromSample(v.Metric, 0, v.V)));
                    continue;
                case ItemType.Quantile:
                    aggr.Value = Quantiles.Quantile(q, aggr.Heap!);
                    break;
            }

            output.Add(new PromSample(aggr.Labels, 0, aggr.Value));
        }

        return output;
    }

    /// <summary>model.LabelName.IsValid: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>.</summary>
    internal static bool IsLabelName(string name) => Lexer.IsLabel(name);
}
