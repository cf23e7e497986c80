using Monitor.Metrics;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

internal sealed partial class Evaluator
{
    private object EvaluateBinary(Binary b, long timeMs)
    {
        object lhs = Evaluate(b.Lhs, timeMs);
        object rhs = Evaluate(b.Rhs, timeMs);
        return (lhs, rhs) switch
        {
            (double l, double r) => ScalarOp(b.Op, l, r, out _),
            (List<PromSample> l, double r) => VectorScalar(b, l, r, swap: false),
            (double l, List<PromSample> r) => VectorScalar(b, r, l, swap: true),
            (List<PromSample> l, List<PromSample> r) when b.Op.IsSet() => SetOperation(b, l, r),
            (List<PromSample> l, List<PromSample> r) => VectorVector(b, l, r),
            _ => throw new PromQLException("binary expression on strings"),
        };
    }

    /// <summary>The operator on two floats; for comparisons, <paramref name="keep"/> is the comparison's result.</summary>
    private static double ScalarOp(BinaryOp op, double l, double r, out bool keep)
    {
        keep = true;
        switch (op)
        {
            case BinaryOp.Add: return l + r;
            case BinaryOp.Sub: return l - r;
            case BinaryOp.Mul: return l * r;
            case BinaryOp.Div: return l / r;
            case BinaryOp.Mod: return l % r; // fmod, the sign of the dividend, as Go's math.Mod
            case BinaryOp.Pow: return Math.Pow(l, r);
            default:
                keep = op switch
                {
                    BinaryOp.Eql => l == r,
                    BinaryOp.Neq => l != r,
                    BinaryOp.Gtr => l > r,
                    BinaryOp.Lss => l < r,
                    BinaryOp.Gte => l >= r,
                    _ => l <= r,
                };
                return keep ? 1 : 0;
        }
    }

    private static bool DropsName(Binary b) => !b.Op.IsComparison() || b.ReturnBool;

    private static List<PromSample> VectorScalar(Binary b, List<PromSample> vector, double scalar, bool swap)
    {
        var result = new List<PromSample>(vector.Count);
        foreach (var sample in vector)
        {
            double l = swap ? scalar : sample.Value;
            double r = swap ? sample.Value : scalar;
            double value = ScalarOp(b.Op, l, r, out bool keep);
            if (b.Op.IsComparison() && !b.ReturnBool)
            {
                if (!keep)
                {
                    continue;
                }

                // A filter keeps the vector element's own value, whichever side it is on.
                value = sample.Value;
            }

            result.Add(new PromSample(DropsName(b) ? LabelSet.DropName(sample.Labels) : sample.Labels, value));
        }

        return result;
    }

    /// <summary>The matching signature: the on() labels, or every label but the ignoring() ones and the name.</summary>
    private static string Signature(Label[] labels, VectorMatching? matching) =>
        matching is { On: true }
            ? LabelSet.Key(LabelSet.Keep(labels, matching.MatchingLabels.ToHashSet(StringComparer.Ordinal)))
            : LabelSet.Key(LabelSet.Without(labels, (matching?.MatchingLabels ?? []).Append(LabelSet.MetricName).ToHashSet(StringComparer.Ordinal)));

    private static List<PromSample> SetOperation(Binary b, List<PromSample> lhs, List<PromSample> rhs)
    {
        var rightSignatures = rhs.Select(s => Signature(s.Labels, b.Matching)).ToHashSet(StringComparer.Ordinal);
        switch (b.Op)
        {
            case BinaryOp.And:
                return [.. lhs.Where(s => rightSignatures.Contains(Signature(s.Labels, b.Matching)))];
            case BinaryOp.Unless:
                return [.. lhs.Where(s => !rightSignatures.Contains(Signature(s.Labels, b.Matching)))];
            default:
                var leftSignatures = lhs.Select(s => Signature(s.Labels, b.Matching)).ToHashSet(StringComparer.Ordinal);
                return [.. lhs, .. rhs.Where(s => !leftSignatures.Contains(Signature(s.Labels, b.Matching)))];
        }
    }

    private static List<PromSample> VectorVector(Binary b, List<PromSample> lhs, List<PromSample> rhs)
    {
        var matching = b.Matching ?? new VectorMatching(Cardinality.OneToOne, [], false, []);
        bool swapped = matching.Cardinality == Cardinality.OneToMany;
        var (many, one) = swapped ? (rhs, lhs) : (lhs, rhs);

        var oneBySignature = new Dictionary<string, PromSample>(StringComparer.Ordinal);
        foreach (var sample in one)
        {
            string signature = Signature(sample.Labels, matching);
            if (!oneBySignature.TryAdd(signature, sample))
            {
                throw new PromQLException($"found duplicate series for the match group {LabelSet.Format(LabelSet.Keep(sample.Labels, matching.MatchingLabels.ToHashSet()))} on the {(swapped ? "left" : "right")} hand-side of the operation: [{LabelSet.Format(sample.Labels)}, {LabelSet.Format(oneBySignature[signature].Labels)}];many-to-many matching not allowed: matching labels must be unique on one side");
            }
        }

        var result = new List<PromSample>();
        var seenOneToOne = new HashSet<string>(StringComparer.Ordinal);
        var seenResult = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sample in many)
        {
            string signature = Signature(sample.Labels, matching);
            if (!oneBySignature.TryGetValue(signature, out var other))
            {
                continue;
            }

            if (matching.Cardinality == Cardinality.OneToOne && !seenOneToOne.Add(signature))
            {
                throw new PromQLException($"multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
            }

            double l = swapped ? other.Value : sample.Value;
            double r = swapped ? sample.Value : other.Value;
            double value = ScalarOp(b.Op, l, r, out bool keep);
            if (b.Op.IsComparison() && !b.ReturnBool)
            {
                if (!keep)
                {
                    continue;
                }

                value = l;
            }

            var labels = ResultLabels(b, matching, sample.Labels, other.Labels);
            if (matching.Cardinality != Cardinality.OneToOne && !seenResult.Add(LabelSet.Key(labels)))
            {
                throw new PromQLException("multiple matches for labels: grouping labels must ensure unique matches");
            }

            result.Add(new PromSample(labels, value));
        }

        return result;
    }

    private static Label[] ResultLabels(Binary b, VectorMatching matching, Label[] many, Label[] one)
    {
        var labels = DropsName(b) ? LabelSet.DropName(many) : many;
        if (matching.Cardinality == Cardinality.OneToOne)
        {
            var names = matching.MatchingLabels.ToHashSet(StringComparer.Ordinal);
            labels = matching.On ? LabelSet.Keep(labels, names) : LabelSet.Without(labels, names);
        }

        foreach (string name in matching.Include)
        {
            string value = LabelSet.Get(one, name);
            labels = value.Length > 0 ? LabelSet.With(labels, name, value) : LabelSet.Without(labels, [name]);
        }

        return labels;
    }
}
