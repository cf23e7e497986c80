using System.Globalization;
using Monitor.Metrics;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

internal sealed partial class Evaluator
{
    private object EvaluateCall(Call call, long timeMs)
    {
        string name = call.Function.Name;
        switch (name)
        {
            case "time":
                return timeMs / 1000.0;
            case "vector":
                return new List<PromSample> { new([], (double)Evaluate(call.Args[0], timeMs)) };
            case "scalar":
                var v = (List<PromSample>)Evaluate(call.Args[0], timeMs);
                return v.Count == 1 ? v[0].Value : double.NaN;
            case "abs":
                return Map((List<PromSample>)Evaluate(call.Args[0], timeMs), Math.Abs);
            case "clamp_min":
                double min = (double)Evaluate(call.Args[1], timeMs);
                return Map((List<PromSample>)Evaluate(call.Args[0], timeMs), x => Math.Max(min, x));
            case "clamp_max":
                double max = (double)Evaluate(call.Args[1], timeMs);
                return Map((List<PromSample>)Evaluate(call.Args[0], timeMs), x => Math.Min(max, x));
            case "absent":
                return Absent(call.Args[0], (List<PromSample>)Evaluate(call.Args[0], timeMs));
            case "histogram_quantile":
                return HistogramQuantile((double)Evaluate(call.Args[0], timeMs), (List<PromSample>)Evaluate(call.Args[1], timeMs));
        }

        var matrix = (MatrixSelector)Unwrap(call.Args[0]);
        var ranges = SelectRange(matrix, timeMs);
        double predictSeconds = name == "predict_linear" ? (double)Evaluate(call.Args[1], timeMs) : 0;
        var result = new List<PromSample>();
        foreach (var (labels, points) in ranges)
        {
            double? value = name switch
            {
                "rate" => ExtrapolatedRate(points, matrix.Range, timeMs, isCounter: true, isRate: true),
                "increase" => ExtrapolatedRate(points, matrix.Range, timeMs, isCounter: true, isRate: false),
                "delta" => ExtrapolatedRate(points, matrix.Range, timeMs, isCounter: false, isRate: false),
                "irate" => InstantRate(points),
                "predict_linear" => PredictLinear(points, timeMs, predictSeconds),
                "avg_over_time" => IncrementalMean(points.Select(p => p.V)),
                "sum_over_time" => points.Sum(p => p.V),
                "count_over_time" => points.Count,
                "last_over_time" => points[^1].V,
                "min_over_time" => points.Select(p => p.V).Aggregate((a, x) => x < a || double.IsNaN(a) ? x : a),
                "max_over_time" => points.Select(p => p.V).Aggregate((a, x) => x > a || double.IsNaN(a) ? x : a),
                _ => throw new PromQLException($"function {name} is not implemented"),
            };
            if (value is { } v)
            {
                // last_over_time keeps the metric name in Prometheus; every other function drops it.
                result.Add(new PromSample(name == "last_over_time" ? labels : LabelSet.DropName(labels), v));
            }
        }

        return result;
    }

    private static Expr Unwrap(Expr expr) => expr is Paren p ? Unwrap(p.Inner) : expr;

    private static List<PromSample> Map(List<PromSample> input, Func<double, double> f) =>
        [.. input.Select(s => new PromSample(LabelSet.DropName(s.Labels), f(s.Value)))];

    private static double IncrementalMean(IEnumerable<double> values)
    {
        double mean = 0, count = 0;
        foreach (double v in values)
        {
            count++;
            if (double.IsInfinity(mean))
            {
                if (double.IsInfinity(v) && Math.Sign(mean) == Math.Sign(v))
                {
                    continue;
                }

                if (!double.IsInfinity(v) && !double.IsNaN(v))
                {
                    continue;
                }
            }

            mean += (v / count) - (mean / count);
        }

        return mean;
    }

    /// <summary>absent(): 1 with the selector's equality labels when the argument is empty.</summary>
    private static List<PromSample> Absent(Expr argument, List<PromSample> value)
    {
        if (value.Count > 0)
        {
            return [];
        }

        var labels = new List<Label>();
        if (Unwrap(argument) is VectorSelector selector)
        {
            var equal = selector.Matchers.Where(m => m.Type == MatcherType.Equal && m.Name != LabelSet.MetricName).ToList();
            foreach (var group in equal.GroupBy(m => m.Name))
            {
                if (group.Count() == 1)
                {
                    labels.Add(new Label(group.Key, group.First().Value));
                }
            }
        }

        return [new PromSample(LabelSet.Sorted(labels), 1)];
    }

    /// <summary>Prometheus' extrapolatedRate (rate, increase, delta), ranges closed at both ends as in 2.x.</summary>
    private static double? ExtrapolatedRate(List<(long T, double V)> points, TimeSpan range, long timeMs, bool isCounter, bool isRate)
    {
        if (points.Count < 2)
        {
            return null;
        }

        long rangeStart = timeMs - (long)range.TotalMilliseconds;
        double result = points[^1].V - points[0].V;
        if (isCounter)
        {
            double last = 0;
            foreach (var (_, v) in points)
            {
                if (v < last)
                {
                    result += last;
                }

                last = v;
            }
        }

        double durationToStart = (points[0].T - rangeStart) / 1000.0;
        double durationToEnd = (timeMs - points[^1].T) / 1000.0;
        double sampledInterval = (points[^1].T - points[0].T) / 1000.0;
        double averageBetween = sampledInterval / (points.Count - 1);
        if (isCounter && result > 0 && points[0].V >= 0)
        {
            double durationToZero = sampledInterval * (points[0].V / result);
            if (durationToZero < durationToStart)
            {
                durationToStart = durationToZero;
            }
        }

        double threshold = averageBetween * 1.1;
        double extrapolateTo = sampledInterval;
        extrapolateTo += durationToStart < threshold ? durationToStart : averageBetween / 2;
        extrapolateTo += durationToEnd < threshold ? durationToEnd : averageBetween / 2;
        // Since 2.40 Prometheus scales by one factor (so histograms share the code); the order of the
        // operations changes the last bit, and promtool compares bits.
        double factor = extrapolateTo / sampledInterval;
        if (isRate)
        {
            factor /= range.TotalSeconds;
        }

        return result * factor;
    }

    private static double? InstantRate(List<(long T, double V)> points)
    {
        if (points.Count < 2)
        {
            return null;
        }

        var (lastT, lastV) = points[^1];
        var (prevT, prevV) = points[^2];
        double delta = lastV < prevV ? lastV : lastV - prevV;
        long interval = lastT - prevT;
        return interval == 0 ? null : delta / (interval / 1000.0);
    }

    private static double? PredictLinear(List<(long T, double V)> points, long timeMs, double seconds)
    {
        if (points.Count < 2)
        {
            return null;
        }

        double n = 0, sumX = 0, sumY = 0, sumXY = 0, sumX2 = 0;
        double initY = points[0].V;
        bool constY = true;
        for (int i = 0; i < points.Count; i++)
        {
            var (t, v) = points[i];
            if (constY && i > 0 && v != initY)
            {
                constY = false;
            }

            n += 1;
            double x = (t - timeMs) / 1e3;
            sumX += x;
            sumY += v;
            sumXY += x * v;
            sumX2 += x * x;
        }

        double slope, intercept;
        if (constY)
        {
            if (double.IsInfinity(initY))
            {
                return double.NaN;
            }

            (slope, intercept) = (0, initY);
        }
        else
        {
            double covXY = sumXY - (sumX * sumY / n);
            double varX = sumX2 - (sumX * sumX / n);
            slope = covXY / varX;
            intercept = (sumY / n) - (slope * sumX / n);
        }

        return (slope * seconds) + intercept;
    }

    /// <summary>histogram_quantile over classic buckets, Prometheus' bucketQuantile.</summary>
    private static List<PromSample> HistogramQuantile(double q, List<PromSample> buckets)
    {
        var groups = new Dictionary<string, (Label[] Labels, List<(double Upper, double Count)> Buckets)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var sample in buckets)
        {
            string le = LabelSet.Get(sample.Labels, "le");
            if (!TryParseBound(le, out double upper))
            {
                continue;
            }

            var labels = LabelSet.Without(sample.Labels, ["le", LabelSet.MetricName]);
            string key = LabelSet.Key(labels);
            if (!groups.TryGetValue(key, out var group))
            {
                group = (labels, []);
                groups[key] = group;
                order.Add(key);
            }

            group.Buckets.Add((upper, sample.Value));
        }

        return [.. order.Select(k => new PromSample(groups[k].Labels, BucketQuantile(q, groups[k].Buckets)))];
    }

    private static bool TryParseBound(string text, out double value)
    {
        switch (text)
        {
            case "+Inf" or "Inf" or "+inf" or "inf":
                value = double.PositiveInfinity;
                return true;
            case "-Inf" or "-inf":
                value = double.NegativeInfinity;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    internal static double BucketQuantile(double q, List<(double Upper, double Count)> buckets)
    {
        if (double.IsNaN(q))
        {
            return double.NaN;
        }

        if (q < 0)
        {
            return double.NegativeInfinity;
        }

        if (q > 1)
        {
            return double.PositiveInfinity;
        }

        buckets.Sort((a, b) => a.Upper.CompareTo(b.Upper));
        if (buckets.Count == 0 || !double.IsPositiveInfinity(buckets[^1].Upper))
        {
            return double.NaN;
        }

        // Coalesce buckets with the same bound, then force the counts to be monotonic.
        var merged = new List<(double Upper, double Count)>();
        foreach (var bucket in buckets)
        {
            if (merged.Count > 0 && merged[^1].Upper == bucket.Upper)
            {
                merged[^1] = (bucket.Upper, merged[^1].Count + bucket.Count);
            }
            else
            {
                merged.Add(bucket);
            }
        }

        double runningMax = double.NegativeInfinity;
        for (int i = 0; i < merged.Count; i++)
        {
            if (merged[i].Count > runningMax)
            {
                runningMax = merged[i].Count;
            }
            else if (merged[i].Count < runningMax)
            {
                merged[i] = (merged[i].Upper, runningMax);
            }
        }

        if (merged.Count < 2)
        {
            return double.NaN;
        }

        double observations = merged[^1].Count;
        if (observations == 0)
        {
            return double.NaN;
        }

        double rank = q * observations;
        int b = 0;
        while (b < merged.Count - 1 && merged[b].Count < rank)
        {
            b++;
        }

        if (b == merged.Count - 1)
        {
            return merged[^2].Upper;
        }

        if (b == 0 && merged[0].Upper <= 0)
        {
            return merged[0].Upper;
        }

        double bucketStart = 0;
        double bucketEnd = merged[b].Upper;
        double count = merged[b].Count;
        if (b > 0)
        {
            bucketStart = merged[b - 1].Upper;
            count -= merged[b - 1].Count;
            rank -= merged[b - 1].Count;
        }

        return bucketStart + ((bucketEnd - bucketStart) * (rank / count));
    }
}
