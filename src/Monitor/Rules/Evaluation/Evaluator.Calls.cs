using Monitor.Metrics;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>What a function sees at one step: its evaluated arguments, the expressions, and the step's time.</summary>
internal sealed class FunctionInput
{
    /// <summary>Per argument: the step's instant vector, or (for the range argument) a one-series matrix.</summary>
    public required object[] Values { get; init; }

    public required List<Expr> Args { get; init; }

    public long Ts { get; set; }

    /// <summary>The range argument's range and effective offset (rate's extrapolation needs them).</summary>
    public long RangeMs { get; set; }

    public long OffsetMs { get; set; }

    /// <summary>State a function keeps across the steps of one evaluation (label_replace's regex and results).</summary>
    public Dictionary<string, object> Cache { get; } = new(StringComparer.Ordinal);

    /// <summary>Where a function takes the vector it returns from.</summary>
    public required VectorPool Pool { get; init; }

    public List<PromSample> Vector(int i) => (List<PromSample>)Values[i];

    public double Scalar(int i) => ((List<PromSample>)Values[i])[0].V;

    public PromSeries Range(int i) => (PromSeries)Values[i];
}

internal sealed partial class Evaluator
{
    /// <summary>A call without a range argument, which rangeEval evaluates step by step; null for one with a range.</summary>
    private Stepwise? CallStep(Call e)
    {
        var call = Functions.All[e.Function.Name];
        if (e.Function.Name == "timestamp" && Unwrap(e.Args[0]) is VectorSelector tvs)
        {
            // Matrix evaluation always gives the evaluation time, so timestamp() reads its selector itself.
            var input = new FunctionInput { Values = new object[1], Args = e.Args, Pool = _ctx.Pool };
            return new Stepwise(null, (_, _, ts) =>
            {
                if (TimestampOf(tvs) is { } at)
                {
                    _ctx.Offsets[tvs] = ts - at;
                }

                input.Values[0] = SelectInstant(tvs, ts);
                input.Ts = ts;
                return call(input);
            }, []);
        }

        foreach (var arg in e.Args)
        {
            if (Unwrap(arg) is MatrixSelector or SubqueryExpr)
            {
                return null;
            }
        }

        var fn = new FunctionInput { Values = new object[e.Args.Count], Args = e.Args, Pool = _ctx.Pool };
        return new Stepwise(null, (v, _, ts) =>
        {
            for (int i = 0; i < v.Length; i++)
            {
                fn.Values[i] = v[i];
            }

            fn.Ts = ts;
            return call(fn);
        }, [.. e.Args]);
    }

    /// <summary>
    /// A call with a range argument (a matrix selector or a subquery): the function over each series' window at
    /// each step: with <paramref name="instant"/> (an instant query's one step) the step's vector, a
    /// <see cref="List{PromSample}"/> from the pool, otherwise a matrix.
    /// </summary>
    private object EvalRangeFunction(Call e, bool instant)
    {
        var call = Functions.All[e.Function.Name];
        int matrixIndex = -1;
        IReadOnlyList<ISeries>? subquerySeries = null;
        long subqueryOffset = 0;
        for (int i = 0; i < e.Args.Count; i++)
        {
            var a = Unwrap(e.Args[i]);
            if (a is MatrixSelector)
            {
                matrixIndex = i;
                break;
            }

            if (a is SubqueryExpr subquery)
            {
                matrixIndex = i;
                var result = (List<PromSeries>)Eval(subquery);
                subquerySeries = [.. result.Select(s => new PointSeries(s.Metric, s.Points))];
                subqueryOffset = TimestampOf(subquery) is { } sts
                    ? subquery.OriginalOffset + (_start - sts)
                    : OffsetOf(subquery);
                break;
            }
        }

        // The other arguments are scalars: one value per step.
        var otherArgs = new List<PromSeries>?[e.Args.Count];
        var inValues = new object[e.Args.Count];
        for (int i = 0; i < e.Args.Count; i++)
        {
            if (i != matrixIndex)
            {
                if (e.Args[i].Type != PromType.String)
                {
                    otherArgs[i] = (List<PromSeries>)Eval(e.Args[i]);
                }

                inValues[i] = new List<PromSample> { default };
            }
        }

        long rangeMs;
        long offset;
        IReadOnlyList<ISeries> sources;
        if (subquerySeries is not null)
        {
            var sq = (SubqueryExpr)Unwrap(e.Args[matrixIndex]);
            rangeMs = sq.RangeMs;
            offset = subqueryOffset;
            sources = subquerySeries;
        }
        else
        {
            var ms = (MatrixSelector)Unwrap(e.Args[matrixIndex]);
            rangeMs = ms.RangeMs;
            offset = OffsetOf(ms.Vector);
            sources = SeriesOf(ms.Vector);
        }

        var fn = new FunctionInput { Values = inValues, Args = e.Args, RangeMs = rangeMs, OffsetMs = offset, Pool = _ctx.Pool };
        var vector = instant ? _ctx.Pool.Vector(sources.Count) : null;
        var mat = instant ? null : new List<PromSeries>();
        var points = new List<Point>();
        var window = new PromSeries([], points);
        bool keepName = e.Function.Name == "last_over_time";
        for (int si = 0; si < sources.Count; si++)
        {
            var source = sources[si];
            var labels = source.Labels;
            var ss = instant ? null : new PromSeries(keepName ? labels : LabelSet.DropName(labels), []);
            window.Metric = labels;
            int step = -1;
            for (long ts = _start; ts <= _end; ts += _interval)
            {
                _ctx.Step();
                step++;
                for (int j = 0; j < e.Args.Count; j++)
                {
                    if (j != matrixIndex && otherArgs[j] is { } other)
                    {
                        ((List<PromSample>)inValues[j])[0] = new PromSample([], ts, other[0].Points[step].V);
                    }
                }

                long maxt = ts - offset;
                long mint = maxt - rangeMs;
                RangePoints(source, mint, maxt, points);
                if (points.Count == 0)
                {
                    continue;
                }

                inValues[matrixIndex] = window;
                fn.Ts = ts;
                var outVec = call(fn);
                if (outVec.Count > 0)
                {
                    if (vector is not null)
                    {
                        vector.Add(new PromSample(keepName ? labels : LabelSet.DropName(labels), ts, outVec[0].V));
                        AddSamples(1);
                    }
                    else
                    {
                        ss!.Points.Add(new Point(ts, outVec[0].V));
                    }
                }

                _ctx.Pool.Return(outVec);
            }

            if (ss is { Points.Count: > 0 })
            {
                AddSamples(ss.Points.Count);
                mat!.Add(ss);
            }
        }

        if (e.Function.Name == "absent_over_time")
        {
            return AbsentOverTime(e, vector, mat!);
        }

        if (vector is not null)
        {
            if (Labels.ContainsSameLabelset(vector, _ctx.Pool.LabelSets))
            {
                throw Error("vector cannot contain metrics with the same labelset");
            }

            return vector;
        }

        if (Labels.ContainsSameLabelset(mat!))
        {
            throw Error("vector cannot contain metrics with the same labelset");
        }

        return mat!;
    }

    /// <summary>absent_over_time: a sample at each step where no series had one, labelled from the selector.</summary>
    private object AbsentOverTime(Call e, List<PromSample>? vector, List<PromSeries> mat)
    {
        if (vector is not null)
        {
            bool any = vector.Count > 0;
            vector.Clear();
            if (!any)
            {
                vector.Add(new PromSample(Functions.LabelsForAbsent(e.Args[0]), _start, 1));
            }

            return vector;
        }

        long steps = NumSteps;
        if (mat.Any(s => s.Points.Count == steps))
        {
            return new List<PromSeries>();
        }

        var found = new HashSet<long>();
        for (int i = 0; i < mat.Count; i++)
        {
            foreach (var p in mat[i].Points)
            {
                found.Add(p.T);
            }

            if (i > 0 && found.Count == steps)
            {
                return new List<PromSeries>();
            }
        }

        var missing = new List<Point>();
        for (long ts = _start; ts <= _end; ts += _interval)
        {
            _ctx.Step();
            if (!found.Contains(ts))
            {
                missing.Add(new Point(ts, 1));
            }
        }

        return new List<PromSeries> { new(Functions.LabelsForAbsent(e.Args[0]), missing) };
    }

    /// <summary>vectorSelector: the instant vector of a selector at one step (samples keep their own times).</summary>
    private List<PromSample> SelectInstant(VectorSelector v, long ts)
    {
        var vec = new List<PromSample>();
        long offset = OffsetOf(v);
        foreach (var s in SeriesOf(v))
        {
            if (VectorSelectorSingle(s, ts - offset) is { } p)
            {
                vec.Add(new PromSample(s.Labels, p.T, p.V));
                AddSamples(1);
            }
        }

        return vec;
    }

    /// <summary>A subquery's result series, read like a stored one.</summary>
    private sealed class PointSeries(Label[] labels, List<Point> points) : ISeries
    {
        public Label[] Labels { get; } = labels;

        public bool TryGetLast(long t, out long ts, out double value)
        {
            int lo = 0;
            int hi = points.Count - 1;
            int found = -1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                if (points[mid].T <= t)
                {
                    found = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            ts = found < 0 ? 0 : points[found].T;
            value = found < 0 ? 0 : points[found].V;
            return found >= 0;
        }

        public void AppendRange(long mint, long maxt, List<Point> into)
        {
            foreach (var p in points)
            {
                if (p.T > maxt)
                {
                    break;
                }

                if (p.T >= mint)
                {
                    into.Add(p);
                }
            }
        }
    }
}
