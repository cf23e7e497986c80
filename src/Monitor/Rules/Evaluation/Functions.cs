using Monitor.GoCompat;
using Monitor.Metrics;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>
/// PromQL's functions (promql/functions.go, 2.42) with the same arithmetic: extrapolated rates, Kahan sums in
/// the <c>*_over_time</c> family and in linear regression, Go's math for exp/ln/trigonometry, Go's calendar
/// for the date functions, Go's regexp for label_replace.
/// </summary>
internal static class Functions
{
    public delegate List<PromSample> Function(FunctionInput input);

    public static readonly IReadOnlyDictionary<string, Function> All = new Dictionary<string, Function>(StringComparer.Ordinal)
    {
        ["abs"] = f => Simple(f, Math.Abs),
        ["absent"] = Absent,
        ["absent_over_time"] = _ => [new PromSample([], 0, 1)],
        ["acos"] = f => Simple(f, GoMath.Acos),
        ["acosh"] = f => Simple(f, GoMath.Acosh),
        ["asin"] = f => Simple(f, GoMath.Asin),
        ["asinh"] = f => Simple(f, GoMath.Asinh),
        ["atan"] = f => Simple(f, GoMath.Atan),
        ["atanh"] = f => Simple(f, GoMath.Atanh),
        ["avg_over_time"] = f => OverTime(f, AvgOverTime),
        ["ceil"] = f => Simple(f, Math.Ceiling),
        ["changes"] = f => OverTime(f, Changes),
        ["clamp"] = Clamp,
        ["clamp_max"] = f => { double max = f.Scalar(1); return Simple(f, v => Math.Min(max, v)); },
        ["clamp_min"] = f => { double min = f.Scalar(1); return Simple(f, v => Math.Max(min, v)); },
        ["cos"] = f => Simple(f, GoMath.Cos),
        ["cosh"] = f => Simple(f, GoMath.Cosh),
        ["count_over_time"] = f => OverTime(f, p => p.Count),
        ["days_in_month"] = f => Date(f, t => t.DaysInMonth),
        ["day_of_month"] = f => Date(f, t => t.Day),
        ["day_of_week"] = f => Date(f, t => t.Weekday),
        ["day_of_year"] = f => Date(f, t => t.YearDay),
        ["deg"] = f => Simple(f, v => v * 180 / Math.PI),
        ["delta"] = f => ExtrapolatedRate(f, isCounter: false, isRate: false),
        ["deriv"] = Deriv,
        ["exp"] = f => Simple(f, GoMath.Exp),
        ["floor"] = f => Simple(f, Math.Floor),
        ["histogram_count"] = _ => [],
        ["histogram_fraction"] = _ => [],
        ["histogram_quantile"] = HistogramQuantile,
        ["histogram_sum"] = _ => [],
        ["holt_winters"] = HoltWinters,
        ["hour"] = f => Date(f, t => t.Hour),
        ["idelta"] = f => InstantValue(f, isRate: false),
        ["increase"] = f => ExtrapolatedRate(f, isCounter: true, isRate: false),
        ["irate"] = f => InstantValue(f, isRate: true),
        ["label_replace"] = LabelReplace,
        ["label_join"] = LabelJoin,
        ["ln"] = f => Simple(f, GoMath.Log),
        ["log10"] = f => Simple(f, GoMath.Log10),
        ["log2"] = f => Simple(f, GoMath.Log2),
        ["last_over_time"] = f => [new PromSample(f.Range(0).Metric, 0, f.Range(0).Points[^1].V)],
        ["max_over_time"] = f => OverTime(f, MaxOverTime),
        ["min_over_time"] = f => OverTime(f, MinOverTime),
        ["minute"] = f => Date(f, t => t.Minute),
        ["month"] = f => Date(f, t => t.Month),
        ["pi"] = _ => [new PromSample([], 0, Math.PI)],
        ["predict_linear"] = PredictLinear,
        ["present_over_time"] = f => OverTime(f, _ => 1),
        ["quantile_over_time"] = QuantileOverTime,
        ["rad"] = f => Simple(f, v => v * Math.PI / 180),
        ["rate"] = f => ExtrapolatedRate(f, isCounter: true, isRate: true),
        ["resets"] = f => OverTime(f, Resets),
        ["round"] = Round,
        ["scalar"] = f => [new PromSample([], 0, f.Vector(0).Count == 1 ? f.Vector(0)[0].V : double.NaN)],
        ["sgn"] = f => Simple(f, v => v < 0 ? -1 : v > 0 ? 1 : v),
        ["sin"] = f => Simple(f, GoMath.Sin),
        ["sinh"] = f => Simple(f, GoMath.Sinh),
        ["sort"] = f => Sorted(f, static (a, b) => double.IsNaN(a.V) || a.V > b.V),
        ["sort_desc"] = f => Sorted(f, static (a, b) => double.IsNaN(a.V) || a.V < b.V),
        ["sqrt"] = f => Simple(f, Math.Sqrt),
        ["stddev_over_time"] = f => OverTime(f, p => Math.Sqrt(StdvarOverTime(p))),
        ["stdvar_over_time"] = f => OverTime(f, StdvarOverTime),
        ["sum_over_time"] = f => OverTime(f, SumOverTime),
        ["tan"] = f => Simple(f, GoMath.Tan),
        ["tanh"] = f => Simple(f, GoMath.Tanh),
        ["time"] = f => [new PromSample([], 0, f.Ts / 1000.0)],
        ["timestamp"] = f => [.. f.Vector(0).Select(s => new PromSample(LabelSet.DropName(s.Metric), 0, s.T / 1000.0))],
        ["vector"] = f => [new PromSample([], 0, f.Scalar(0))],
        ["year"] = f => Date(f, t => t.Year),
    };

    private static List<PromSample> Simple(FunctionInput f, Func<double, double> fn)
    {
        var vec = f.Vector(0);
        var output = f.Pool.Vector(vec.Count);
        foreach (var s in vec)
        {
            output.Add(new PromSample(LabelSet.DropName(s.Metric), 0, fn(s.V)));
        }

        return output;
    }

    private static List<PromSample> OverTime(FunctionInput f, Func<List<Point>, double> fn) =>
        One(f, fn(f.Range(0).Points));

    /// <summary>A one-sample vector without labels, from the evaluation's pool.</summary>
    private static List<PromSample> One(FunctionInput f, double value)
    {
        var vector = f.Pool.Vector();
        vector.Add(new PromSample([], 0, value));
        return vector;
    }

    private static List<PromSample> Clamp(FunctionInput f)
    {
        double min = f.Scalar(1);
        double max = f.Scalar(2);
        if (max < min)
        {
            return f.Pool.Vector();
        }

        return Simple(f, v => Math.Max(min, Math.Min(max, v)));
    }

    private static List<PromSample> Round(FunctionInput f)
    {
        double toNearest = f.Args.Count >= 2 ? f.Scalar(1) : 1;
        double inverse = 1.0 / toNearest;
        return Simple(f, v => Math.Floor((v * inverse) + 0.5) / inverse);
    }

    private static List<PromSample> Sorted(FunctionInput f, Func<PromSample, PromSample, bool> less)
    {
        var vec = new List<PromSample>(f.Vector(0));
        GoSort.SortReverse(vec, less);
        return vec;
    }

    /// <summary>kahanSumInc: one step of Kahan-Babuška summation.</summary>
    private static (double Sum, double C) KahanSumInc(double inc, double sum, double c)
    {
        double t = sum + inc;
        if (Math.Abs(sum) >= Math.Abs(inc))
        {
            c += (sum - t) + inc;
        }
        else
        {
            c += (inc - t) + sum;
        }

        return (t, c);
    }

    private static double AvgOverTime(List<Point> values)
    {
        double mean = 0;
        double count = 0;
        double c = 0;
        foreach (var v in values)
        {
            count++;
            if (double.IsInfinity(mean))
            {
                if (double.IsInfinity(v.V) && (mean > 0) == (v.V > 0))
                {
                    continue;
                }

                if (!double.IsInfinity(v.V) && !double.IsNaN(v.V))
                {
                    continue;
                }
            }

            (mean, c) = KahanSumInc((v.V / count) - (mean / count), mean, c);
        }

        return double.IsInfinity(mean) ? mean : mean + c;
    }

    private static double SumOverTime(List<Point> values)
    {
        double sum = 0;
        double c = 0;
        foreach (var v in values)
        {
            (sum, c) = KahanSumInc(v.V, sum, c);
        }

        return double.IsInfinity(sum) ? sum : sum + c;
    }

    private static double MaxOverTime(List<Point> values)
    {
        double max = values[0].V;
        foreach (var v in values)
        {
            if (v.V > max || double.IsNaN(max))
            {
                max = v.V;
            }
        }

        return max;
    }

    private static double MinOverTime(List<Point> values)
    {
        double min = values[0].V;
        foreach (var v in values)
        {
            if (v.V < min || double.IsNaN(min))
            {
                min = v.V;
            }
        }

        return min;
    }

    private static double StdvarOverTime(List<Point> values)
    {
        double count = 0;
        double mean = 0;
        double cMean = 0;
        double aux = 0;
        double cAux = 0;
        foreach (var v in values)
        {
            count++;
            double delta = v.V - (mean + cMean);
            (mean, cMean) = KahanSumInc(delta / count, mean, cMean);
            (aux, cAux) = KahanSumInc(delta * (v.V - (mean + cMean)), aux, cAux);
        }

        return (aux + cAux) / count;
    }

    private static double Changes(List<Point> points)
    {
        int changes = 0;
        double prev = points[0].V;
        for (int i = 1; i < points.Count; i++)
        {
            double current = points[i].V;
            if (current != prev && !(double.IsNaN(current) && double.IsNaN(prev)))
            {
                changes++;
            }

            prev = current;
        }

        return changes;
    }

    private static double Resets(List<Point> points)
    {
        int resets = 0;
        double prev = points[0].V;
        for (int i = 1; i < points.Count; i++)
        {
            double current = points[i].V;
            if (current < prev)
            {
                resets++;
            }

            prev = current;
        }

        return resets;
    }

    private static List<PromSample> QuantileOverTime(FunctionInput f)
    {
        double q = f.Scalar(0);
        var values = f.Range(1).Points.Select(p => new PromSample([], 0, p.V)).ToList();
        return One(f, Quantiles.Quantile(q, values));
    }

    /// <summary>extrapolatedRate: rate/increase/delta, extrapolated towards the range's ends as Prometheus does.</summary>
    private static List<PromSample> ExtrapolatedRate(FunctionInput f, bool isCounter, bool isRate)
    {
        var points = f.Range(0).Points;
        long rangeStart = f.Ts - (f.RangeMs + f.OffsetMs);
        long rangeEnd = f.Ts - f.OffsetMs;
        if (points.Count < 2)
        {
            return f.Pool.Vector();
        }

        double resultValue = points[^1].V - points[0].V;
        double prevValue = points[0].V;
        if (isCounter)
        {
            for (int i = 1; i < points.Count; i++)
            {
                double current = points[i].V;
                if (current < prevValue)
                {
                    resultValue += prevValue;
                }

                prevValue = current;
            }
        }

        double durationToStart = (points[0].T - rangeStart) / 1000.0;
        double durationToEnd = (rangeEnd - points[^1].T) / 1000.0;
        double sampledInterval = (points[^1].T - points[0].T) / 1000.0;
        double averageDurationBetweenSamples = sampledInterval / (points.Count - 1);
        if (isCounter && resultValue > 0 && points[0].V >= 0)
        {
            double durationToZero = sampledInterval * (points[0].V / resultValue);
            if (durationToZero < durationToStart)
            {
                durationToStart = durationToZero;
            }
        }

        double extrapolationThreshold = averageDurationBetweenSamples * 1.1;
        double extrapolateToInterval = sampledInterval;
        extrapolateToInterval += durationToStart < extrapolationThreshold ? durationToStart : averageDurationBetweenSamples / 2;
        extrapolateToInterval += durationToEnd < extrapolationThreshold ? durationToEnd : averageDurationBetweenSamples / 2;
        double factor = extrapolateToInterval / sampledInterval;
        if (isRate)
        {
            factor /= f.RangeMs / 1000.0;
        }

        return One(f, resultValue * factor);
    }

    private static List<PromSample> InstantValue(FunctionInput f, bool isRate)
    {
        var points = f.Range(0).Points;
        if (points.Count < 2)
        {
            return f.Pool.Vector();
        }

        var last = points[^1];
        var previous = points[^2];
        double result = isRate && last.V < previous.V ? last.V : last.V - previous.V;
        long sampledInterval = last.T - previous.T;
        if (sampledInterval == 0)
        {
            return f.Pool.Vector();
        }

        if (isRate)
        {
            result /= sampledInterval / 1000.0;
        }

        return One(f, result);
    }

    private static (double Slope, double Intercept) LinearRegression(List<Point> samples, long interceptTime)
    {
        double n = 0;
        double sumX = 0, cX = 0, sumY = 0, cY = 0, sumXY = 0, cXY = 0, sumX2 = 0, cX2 = 0;
        double initY = samples[0].V;
        bool constY = true;
        for (int i = 0; i < samples.Count; i++)
        {
            var sample = samples[i];
            if (constY && i > 0 && sample.V != initY)
            {
                constY = false;
            }

            n += 1.0;
            double x = (sample.T - interceptTime) / 1e3;
            (sumX, cX) = KahanSumInc(x, sumX, cX);
            (sumY, cY) = KahanSumInc(sample.V, sumY, cY);
            (sumXY, cXY) = KahanSumInc(x * sample.V, sumXY, cXY);
            (sumX2, cX2) = KahanSumInc(x * x, sumX2, cX2);
        }

        if (constY)
        {
            return double.IsInfinity(initY) ? (double.NaN, double.NaN) : (0, initY);
        }

        sumX += cX;
        sumY += cY;
        sumXY += cXY;
        sumX2 += cX2;
        double covXY = sumXY - (sumX * sumY / n);
        double varX = sumX2 - (sumX * sumX / n);
        double slope = covXY / varX;
        double intercept = (sumY / n) - (slope * sumX / n);
        return (slope, intercept);
    }

    private static List<PromSample> Deriv(FunctionInput f)
    {
        var points = f.Range(0).Points;
        if (points.Count < 2)
        {
            return f.Pool.Vector();
        }

        return One(f, LinearRegression(points, points[0].T).Slope);
    }

    private static List<PromSample> PredictLinear(FunctionInput f)
    {
        var points = f.Range(0).Points;
        double duration = f.Scalar(1);
        if (points.Count < 2)
        {
            return f.Pool.Vector();
        }

        var (slope, intercept) = LinearRegression(points, f.Ts);
        return One(f, (slope * duration) + intercept);
    }

    private static List<PromSample> HoltWinters(FunctionInput f)
    {
        var points = f.Range(0).Points;
        double sf = f.Scalar(1);
        double tf = f.Scalar(2);
        if (sf <= 0 || sf >= 1)
        {
            throw new PromQLException($"invalid smoothing factor. Expected: 0 < sf < 1, got: {GoFloat.FormatFixed(sf, 6)}");
        }

        if (tf <= 0 || tf >= 1)
        {
            throw new PromQLException($"invalid trend factor. Expected: 0 < tf < 1, got: {GoFloat.FormatFixed(tf, 6)}");
        }

        int l = points.Count;
        if (l < 2)
        {
            return f.Pool.Vector();
        }

        double s0 = 0;
        double s1 = points[0].V;
        double b = points[1].V - points[0].V;
        for (int i = 1; i < l; i++)
        {
            double x = sf * points[i].V;
            b = i - 1 == 0 ? b : (tf * (s1 - s0)) + ((1 - tf) * b);
            double y = (1 - sf) * (s1 + b);
            (s0, s1) = (s1, x + y);
        }

        return One(f, s1);
    }

    private static List<PromSample> HistogramQuantile(FunctionInput f)
    {
        double q = f.Scalar(0);
        var groups = new Dictionary<string, (Label[] Metric, List<Quantiles.Bucket> Buckets)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var sample in f.Vector(1))
        {
            if (GoText.ParseFloat(LabelSet.Get(sample.Metric, "le"), out _) is not { } upperBound)
            {
                continue;
            }

            string key = Labels.KeyWithout(sample.Metric, ["le"]) + "\u0001" + LabelSet.Get(sample.Metric, LabelSet.MetricName);
            if (!groups.TryGetValue(key, out var group))
            {
                group = (new Labels.Builder(sample.Metric).Del(LabelSet.MetricName).Del("le").Labels(), []);
                groups[key] = group;
                order.Add(key);
            }

            group.Buckets.Add(new Quantiles.Bucket(upperBound, sample.V));
        }

        var output = new List<PromSample>();
        foreach (string key in order)
        {
            var (metric, buckets) = groups[key];
            output.Add(new PromSample(metric, 0, Quantiles.BucketQuantile(q, buckets)));
        }

        return output;
    }

    private static List<PromSample> Absent(FunctionInput f)
    {
        if (f.Vector(0).Count > 0)
        {
            return [];
        }

        return [new PromSample(LabelsForAbsent(f.Args[0]), 0, 1)];
    }

    /// <summary>createLabelsForAbsentFunction: the selector's equality matchers (names given once), else nothing.</summary>
    public static Label[] LabelsForAbsent(Expr expr)
    {
        // The engine has taken the parentheses off the arguments by then (not a step-invariant wrapper).
        while (expr is ParenExpr p)
        {
            expr = p.Inner;
        }

        var matchers = expr switch
        {
            VectorSelector v => v.Matchers,
            MatrixSelector m => m.Vector.Matchers,
            _ => null,
        };
        if (matchers is null)
        {
            return [];
        }

        var b = new Labels.Builder([]);
        var has = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in matchers)
        {
            if (m.Name == LabelSet.MetricName)
            {
                continue;
            }

            if (m.Type == MatcherType.Equal && !has.Contains(m.Name))
            {
                b.Set(m.Name, m.Value);
                has.Add(m.Name);
            }
            else
            {
                b.Del(m.Name);
            }
        }

        return b.Labels();
    }

    private static string StringArg(Expr e) => ((StringLiteral)Unwrap(e)).Value;

    private static Expr Unwrap(Expr e)
    {
        if (e is StepInvariantExpr si)
        {
            e = si.Inner;
        }

        while (e is ParenExpr p)
        {
            e = p.Inner;
        }

        return e;
    }

    private static List<PromSample> LabelReplace(FunctionInput f)
    {
        string dst = StringArg(f.Args[1]);
        string repl = StringArg(f.Args[2]);
        string src = StringArg(f.Args[3]);
        string regexText = StringArg(f.Args[4]);
        if (!f.Cache.TryGetValue("regex", out object? cached))
        {
            cached = GoRegex.Compile("^(?:" + regexText + ")$", out _)
                ?? throw new PromQLException($"invalid regular expression in label_replace(): {regexText}");
            if (!Evaluator.IsLabelName(dst))
            {
                throw new PromQLException($"invalid destination label name in label_replace(): {dst}");
            }

            f.Cache["regex"] = cached;
            f.Cache["out"] = new Dictionary<Label[], Label[]>(Labels.Comparer);
        }

        var regex = (GoRegex)cached;
        var done = (Dictionary<Label[], Label[]>)f.Cache["out"];
        var output = new List<PromSample>();
        foreach (var el in f.Vector(0))
        {
            if (!done.TryGetValue(el.Metric, out var outMetric))
            {
                string srcVal = LabelSet.Get(el.Metric, src);
                var match = regex.Regex.Match(srcVal);
                if (!match.Success)
                {
                    outMetric = el.Metric;
                }
                else
                {
                    string res = regex.Expand(repl, match);
                    var b = new Labels.Builder(el.Metric).Del(dst);
                    if (res.Length > 0)
                    {
                        b.Set(dst, res);
                    }

                    outMetric = b.Labels();
                }

                done[el.Metric] = outMetric;
            }

            output.Add(new PromSample(outMetric, 0, el.V));
        }

        return output;
    }

    private static List<PromSample> LabelJoin(FunctionInput f)
    {
        string dst = StringArg(f.Args[1]);
        string sep = StringArg(f.Args[2]);
        var srcLabels = new List<string>();
        for (int i = 3; i < f.Args.Count; i++)
        {
            string src = StringArg(f.Args[i]);
            if (!Evaluator.IsLabelName(src))
            {
                throw new PromQLException($"invalid source label name in label_join(): {src}");
            }

            srcLabels.Add(src);
        }

        if (!Evaluator.IsLabelName(dst))
        {
            throw new PromQLException($"invalid destination label name in label_join(): {dst}");
        }

        if (!f.Cache.TryGetValue("out", out object? cached))
        {
            cached = f.Cache["out"] = new Dictionary<Label[], Label[]>(Labels.Comparer);
        }

        var done = (Dictionary<Label[], Label[]>)cached;
        var output = new List<PromSample>();
        foreach (var el in f.Vector(0))
        {
            if (!done.TryGetValue(el.Metric, out var outMetric))
            {
                string joined = string.Join(sep, srcLabels.Select(l => LabelSet.Get(el.Metric, l)));
                var b = new Labels.Builder(el.Metric);
                if (joined.Length == 0)
                {
                    b.Del(dst);
                }
                else
                {
                    b.Set(dst, joined);
                }

                outMetric = done[el.Metric] = b.Labels();
            }

            output.Add(new PromSample(outMetric, 0, el.V));
        }

        return output;
    }

    private static List<PromSample> Date(FunctionInput f, Func<GoTime, double> fn)
    {
        if (f.Values.Length == 0)
        {
            return [new PromSample([], 0, fn(GoTime.FromUnix(f.Ts / 1000)))];
        }

        return Simple(f, v => fn(GoTime.FromUnix(GoMath.GoInt64(v))));
    }
}
