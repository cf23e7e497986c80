using System.Runtime.CompilerServices;
using Monitor.Metrics;
using Monitor.Rules.PromQL;

namespace Monitor.Rules.Evaluation;

/// <summary>What one query shares among the evaluators of its subqueries and step-invariant parts.</summary>
internal sealed class QueryContext(ISampleStorage storage, long start, long end, long noStepSubqueryIntervalMs, long maxSamples, TimeSpan? timeout = null, VectorPool? pool = null)
{
    private readonly long _deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)((timeout ?? Evaluator.DefaultTimeout).TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    private int _steps;

    public ISampleStorage Storage { get; } = storage;

    public long Start { get; } = start;

    public long End { get; } = end;

    public long NoStepSubqueryIntervalMs { get; } = noStepSubqueryIntervalMs;

    public long MaxSamples { get; } = maxSamples;

    /// <summary>Where the instant evaluation takes its vectors from and gives them back to.</summary>
    public VectorPool Pool { get; } = pool ?? new VectorPool();

    /// <summary>Offsets the <c>@</c> modifier sets (Prometheus keeps them on the nodes; a query owns them here).</summary>
    public Dictionary<IModified, long> Offsets { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Each selector's series, selected once per query.</summary>
    public Dictionary<VectorSelector, IReadOnlyList<ISeries>> Selected { get; } = new(ReferenceEqualityComparer.Instance);

    public long CurrentSamples { get; set; }

    /// <summary>
    /// Counts one evaluation step; every 4,096th looks at the clock, and past the deadline the query ends with
    /// Prometheus' timeout error (a <c>[290y:1ms]</c> subquery has 9e12 steps even where there are no samples).
    /// </summary>
    public void Step()
    {
        if ((++_steps & 0xFFF) == 0 && System.Diagnostics.Stopwatch.GetTimestamp() > _deadline)
        {
            throw new PromQLException("query timed out in expression evaluation");
        }
    }
}

/// <summary>
/// Evaluates PromQL as Prometheus 2.42's engine does (promql/engine.go): every expression over a range of
/// steps (an instant query is one step), with the same lookback (5 m, inclusive), staleness markers, closed
/// ranges, <c>offset</c> and <c>@</c> arithmetic, step-aligned subqueries, the same label handling and the same
/// float arithmetic, so results match promtool's to the bit. Errors are <see cref="PromQLException"/>s with
/// Prometheus' texts.
/// </summary>
internal sealed partial class Evaluator
{
    public const long LookbackMs = 5 * 60 * 1000;

    /// <summary>Prometheus' default --query.max-samples.</summary>
    public const long DefaultMaxSamples = 50_000_000;

    /// <summary>Prometheus' default --query.timeout.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    private readonly QueryContext _ctx;
    private readonly long _start;
    private readonly long _end;
    private readonly long _interval;

    private Evaluator(QueryContext ctx, long start, long end, long interval)
    {
        _ctx = ctx;
        _start = start;
        _end = end;
        _interval = interval;
    }

    /// <summary>
    /// An instant query at <paramref name="timeMs"/>: a <see cref="List{PromSample}"/> (instant vector), a
    /// <see cref="double"/> (scalar), a <see cref="StringValue"/> or a <see cref="List{PromSeries}"/> (range vector).
    /// <paramref name="subqueryStepMs"/> is the step of subqueries that give none (the evaluation interval).
    /// </summary>
    public static object Query(Expr expr, long timeMs, ISampleStorage storage, long subqueryStepMs, long maxSamples = DefaultMaxSamples, TimeSpan? timeout = null, VectorPool? pool = null)
    {
        var ctx = new QueryContext(storage, timeMs, timeMs, subqueryStepMs, maxSamples, timeout, pool);
        SetOffsetForAtModifier(ctx, timeMs, expr);
        var ev = new Evaluator(ctx, timeMs, timeMs, 1);
        object value;
        try
        {
            value = expr.Type is PromType.Vector or PromType.Scalar ? ev.Instant(expr) : ev.Eval(expr);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new PromQLException("expression too deeply nested to evaluate");
        }

        if (value is not List<PromSample> vector)
        {
            return value;
        }

        if (expr.Type == PromType.Scalar)
        {
            double scalar = vector[0].V;
            ctx.Pool.Return(vector);
            return scalar;
        }

        return vector;
    }

    /// <summary>
    /// The instant vector or scalar a rule gets, as rules.EngineQueryFunc converts it. A vector may come from
    /// <paramref name="pool"/>: the caller may hand it back once done with it.
    /// </summary>
    public static List<PromSample> QueryVector(Expr expr, long timeMs, ISampleStorage storage, long subqueryStepMs, VectorPool? pool = null)
    {
        return Query(expr, timeMs, storage, subqueryStepMs, pool: pool) switch
        {
            List<PromSample> v => v,
            double d => [new PromSample([], timeMs, d)],
            _ => throw new PromQLException("rule result is not a vector or scalar"),
        };
    }

    private static PromQLException Error(string message) => new(message);

    private long OffsetOf(IModified node) => _ctx.Offsets.TryGetValue(node, out long offset) ? offset : node.OriginalOffset;

    private long? TimestampOf(IModified node) => node.At switch
    {
        AtKind.Timestamp => node.AtTimestamp,
        AtKind.Start => _ctx.Start,
        AtKind.End => _ctx.End,
        _ => null,
    };

    private long NumSteps => ((_end - _start) / _interval) + 1;

    /// <summary>A list's initial room for one point a step: the steps, up to a bound (a long subquery grows as it goes).</summary>
    private int StepCapacity => (int)Math.Min(NumSteps, 4096);

    private void AddSamples(long n)
    {
        _ctx.CurrentSamples += n;
        if (_ctx.CurrentSamples > _ctx.MaxSamples)
        {
            throw Error("query processing would load too many samples into memory in query execution");
        }
    }

    private static Expr Unwrap(Expr e)
    {
        while (e is ParenExpr p)
        {
            e = p.Inner;
        }

        if (e is StepInvariantExpr si)
        {
            e = si.Inner;
        }

        while (e is ParenExpr p2)
        {
            e = p2.Inner;
        }

        return e;
    }

    private object Eval(Expr expr)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (expr)
        {
            case AggregateExpr a:
                return RangeEval(AggregateStep(a));
            case Call c:
                return CallStep(c) is { } step ? RangeEval(step) : (List<PromSeries>)EvalRangeFunction(c, instant: false);
            case ParenExpr p:
                return Eval(p.Inner);
            case UnaryExpr u:
            {
                var mat = (List<PromSeries>)Eval(u.Inner);
                if (u.Op == ItemType.Sub)
                {
                    foreach (var series in mat)
                    {
                        series.Metric = LabelSet.DropName(series.Metric);
                        for (int j = 0; j < series.Points.Count; j++)
                        {
                            series.Points[j] = series.Points[j] with { V = -series.Points[j].V };
                        }
                    }

                    if (Labels.ContainsSameLabelset(mat))
                    {
                        throw Error("vector cannot contain metrics with the same labelset");
                    }
                }

                return mat;
            }

            case BinaryExpr b:
                return RangeEval(BinaryStep(b));
            case NumberLiteral n:
                return RangeEval(new Stepwise(null, (_, _, ts) => [new PromSample([], ts, n.Value)], []));
            case StringLiteral s:
                return new StringValue(s.Value);
            case VectorSelector v:
                return EvalVectorSelector(v);
            case MatrixSelector m:
                if (_start != _end)
                {
                    throw Error("cannot do range evaluation of matrix selector");
                }

                return EvalMatrixSelector(m);
            case SubqueryExpr sq:
                return EvalSubqueryExpr(sq);
            case StepInvariantExpr si:
                return EvalStepInvariant(si);
            default:
                throw Error($"unhandled expression of type: {expr.GetType().Name}");
        }
    }

    private object EvalStepInvariant(StepInvariantExpr e)
    {
        if (e.Inner is StringLiteral or NumberLiteral)
        {
            return Eval(e.Inner);
        }

        var once = new Evaluator(_ctx, _start, _start, _interval);
        var res = once.Eval(e.Inner);
        if (e.Inner is MatrixSelector or SubqueryExpr)
        {
            return res;
        }

        var mat = (List<PromSeries>)res;
        foreach (var series in mat)
        {
            var first = series.Points[0];
            for (long ts = _start + _interval; ts <= _end; ts += _interval)
            {
                _ctx.Step();
                series.Points.Add(first with { T = ts });
                AddSamples(1);
            }
        }

        return mat;
    }

    private object EvalSubqueryExpr(SubqueryExpr e)
    {
        long offset = OffsetOf(e);
        long range = e.RangeMs;
        long interval = e.StepMs != 0 ? e.StepMs : _ctx.NoStepSubqueryIntervalMs;
        long start = interval * ((_start - offset - range) / interval);
        if (start < _start - offset - range)
        {
            start += interval;
        }

        if (start != _start)
        {
            SetOffsetForAtModifier(_ctx, start, e.Inner);
        }

        var inner = new Evaluator(_ctx, start, _end - offset, interval);
        return inner.Eval(e.Inner);
    }

    /// <summary>
    /// The series a selector selects (once per query), in the storage's order — as Prometheus' engine, which asks
    /// its TSDB for unsorted series (creation order); only ties in <c>topk</c> and <c>sort</c> can show it.
    /// </summary>
    private IReadOnlyList<ISeries> SeriesOf(VectorSelector v)
    {
        if (!_ctx.Selected.TryGetValue(v, out var series))
        {
            series = _ctx.Storage.Select(v.Matchers);
            _ctx.Selected[v] = series;
        }

        return series;
    }

    private List<PromSeries> EvalVectorSelector(VectorSelector v)
    {
        var mat = new List<PromSeries>();
        long offset = OffsetOf(v);
        var selected = SeriesOf(v);
        for (int i = 0; i < selected.Count; i++)
        {
            var s = selected[i];
            List<Point>? points = null;
            for (long ts = _start; ts <= _end; ts += _interval)
            {
                _ctx.Step();
                if (VectorSelectorSingle(s, ts - offset) is { } p)
                {
                    points ??= new List<Point>(StepCapacity);
                    points.Add(new Point(ts, p.V));
                    AddSamples(1);
                }
            }

            if (points is not null)
            {
                mat.Add(new PromSeries(s.Labels, points));
            }
        }

        return mat;
    }

    /// <summary>vectorSelectorSingle: the last sample at or before refTime within the lookback, unless stale.</summary>
    private static Point? VectorSelectorSingle(ISeries s, long refTime)
    {
        if (!s.TryGetLast(refTime, out long t, out double v) || t < refTime - LookbackMs || StoredSeries.IsStale(v))
        {
            return null;
        }

        return new Point(t, v);
    }

    /// <summary>The samples of a series in [mint, maxt], staleness markers left out.</summary>
    private static void RangePoints(ISeries s, long mint, long maxt, List<Point> into)
    {
        into.Clear();
        s.AppendRange(mint, maxt, into);
        into.RemoveAll(p => StoredSeries.IsStale(p.V));
    }

    private List<PromSeries> EvalMatrixSelector(MatrixSelector m)
    {
        var vs = m.Vector;
        long offset = OffsetOf(vs);
        long maxt = _start - offset;
        long mint = maxt - m.RangeMs;
        var matrix = new List<PromSeries>();
        var selected = SeriesOf(vs);
        for (int i = 0; i < selected.Count; i++)
        {
            var s = selected[i];
            var points = new List<Point>();
            RangePoints(s, mint, maxt, points);
            AddSamples(points.Count);
            if (points.Count > 0)
            {
                matrix.Add(new PromSeries(s.Labels, points));
            }
        }

        return matrix;
    }

    /// <summary>What a node does at each step with its arguments' vectors at that step and their keys.</summary>
    private delegate List<PromSample> StepCall(List<PromSample>[] vectors, List<string>[] keys, long ts);

    /// <summary>
    /// A node that rangeEval evaluates step by step: its argument expressions (null or string-typed ones give
    /// empty vectors: functions read their string arguments from the expression), what it does at a step, and
    /// the per-series key it needs of its arguments (a join's or grouping's signature), if any.
    /// </summary>
    private readonly record struct Stepwise(Func<Label[], string>? Prepare, StepCall Call, Expr?[] Args);

    /// <summary>
    /// rangeEval: evaluates the argument expressions over all steps, then calls the node's operation with the
    /// vectors of each step; per-series keys are computed once per series.
    /// </summary>
    private List<PromSeries> RangeEval(Stepwise node)
    {
        var (prepare, call, exprs) = node;
        var matrixes = new List<PromSeries>?[exprs.Length];
        for (int i = 0; i < exprs.Length; i++)
        {
            if (exprs[i] is { } e && e.Type != PromType.String)
            {
                matrixes[i] = (List<PromSeries>)Eval(e);
            }
        }

        string[][]? seriesKeys = null;
        if (prepare is not null)
        {
            seriesKeys = new string[exprs.Length][];
            for (int i = 0; i < exprs.Length; i++)
            {
                var m = matrixes[i] ?? [];
                seriesKeys[i] = new string[m.Count];
                for (int si = 0; si < m.Count; si++)
                {
                    seriesKeys[i][si] = prepare(m[si].Metric);
                }
            }
        }

        var vectors = new List<PromSample>[exprs.Length];
        var keys = new List<string>[exprs.Length];
        for (int i = 0; i < exprs.Length; i++)
        {
            vectors[i] = [];
            keys[i] = [];
        }

        Dictionary<Label[], PromSeries>? output = null;
        List<PromSeries>? order = null;
        for (long ts = _start; ts <= _end; ts += _interval)
        {
            _ctx.Step();
            for (int i = 0; i < exprs.Length; i++)
            {
                vectors[i].Clear();
                keys[i].Clear();
                var m = matrixes[i];
                if (m is null)
                {
                    continue;
                }

                for (int si = 0; si < m.Count; si++)
                {
                    var series = m[si];
                    if (series.Head < series.Points.Count && series.Points[series.Head].T == ts)
                    {
                        var point = series.Points[series.Head];
                        vectors[i].Add(new PromSample(series.Metric, point.T, point.V));
                        if (seriesKeys is not null)
                        {
                            keys[i].Add(seriesKeys[i][si]);
                        }

                        series.Head++;
                    }
                }
            }

            var result = call(vectors, keys, ts);
            if (Labels.ContainsSameLabelset(result, _ctx.Pool.LabelSets))
            {
                throw Error("vector cannot contain metrics with the same labelset");
            }

            AddSamples(result.Count);
            if (_start == _end)
            {
                var mat = new List<PromSeries>(result.Count);
                foreach (var s in result)
                {
                    mat.Add(new PromSeries(s.Metric, [new Point(ts, s.V)]));
                }

                return mat;
            }

            output ??= new Dictionary<Label[], PromSeries>(Labels.Comparer);
            order ??= [];
            foreach (var s in result)
            {
                if (!output.TryGetValue(s.Metric, out var series))
                {
                    series = output[s.Metric] = new PromSeries(s.Metric, new List<Point>(StepCapacity));
                    order.Add(series);
                }

                series.Points.Add(new Point(ts, s.V));
            }
        }

        return order ?? [];
    }

    /// <summary>
    /// An instant query's vector- or scalar-typed node evaluated straight to its vector at the one step (a scalar
    /// as one sample without labels, every sample stamped with the step's time): what <see cref="RangeEval"/>
    /// gives for a single step, without a one-point series per element on the way. The vector comes from the
    /// query's pool, and whoever consumes it hands it back.
    /// </summary>
    private List<PromSample> Instant(Expr expr)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (expr)
        {
            case ParenExpr p:
                return Instant(p.Inner);
            case StepInvariantExpr si:
                // With one step, evaluating once at the start is evaluating at the step.
                return Instant(si.Inner);
            case VectorSelector v:
                return SelectStep(v);
            case NumberLiteral n:
            {
                _ctx.Step();
                var vector = _ctx.Pool.Vector();
                vector.Add(new PromSample([], _start, n.Value));
                AddSamples(1);
                return vector;
            }

            case UnaryExpr u:
            {
                var vector = Instant(u.Inner);
                if (u.Op == ItemType.Sub)
                {
                    for (int i = 0; i < vector.Count; i++)
                    {
                        var s = vector[i];
                        vector[i] = new PromSample(LabelSet.DropName(s.Metric), s.T, -s.V);
                    }

                    if (Labels.ContainsSameLabelset(vector, _ctx.Pool.LabelSets))
                    {
                        throw Error("vector cannot contain metrics with the same labelset");
                    }
                }

                return vector;
            }

            case BinaryExpr b:
                return StepEval(BinaryStep(b));
            case AggregateExpr a:
                return StepEval(AggregateStep(a));
            case Call c:
                return CallStep(c) is { } step ? StepEval(step) : (List<PromSample>)EvalRangeFunction(c, instant: true);
            default:
            {
                var vector = _ctx.Pool.Vector();
                foreach (var series in (List<PromSeries>)Eval(expr))
                {
                    vector.Add(new PromSample(series.Metric, _start, series.Points[0].V));
                }

                return vector;
            }
        }
    }

    /// <summary>vectorSelector at the one step of an instant query; samples carry the step's time.</summary>
    private List<PromSample> SelectStep(VectorSelector v)
    {
        long offset = OffsetOf(v);
        var selected = SeriesOf(v);
        var vector = _ctx.Pool.Vector(selected.Count);
        for (int i = 0; i < selected.Count; i++)
        {
            _ctx.Step();
            if (VectorSelectorSingle(selected[i], _start - offset) is { } p)
            {
                vector.Add(new PromSample(selected[i].Labels, _start, p.V));
                AddSamples(1);
            }
        }

        return vector;
    }

    /// <summary>rangeEval's one step for an instant query: the arguments' vectors, the operation, its checks.</summary>
    private List<PromSample> StepEval(Stepwise node)
    {
        var (prepare, call, exprs) = node;
        var pool = _ctx.Pool;
        var vectors = new List<PromSample>[exprs.Length];
        var keys = new List<string>[exprs.Length];
        for (int i = 0; i < exprs.Length; i++)
        {
            vectors[i] = exprs[i] is { } e && e.Type != PromType.String ? Instant(e) : pool.Vector();
            keys[i] = pool.KeyList(prepare is null ? 0 : vectors[i].Count);
            if (prepare is not null)
            {
                foreach (var s in vectors[i])
                {
                    keys[i].Add(prepare(s.Metric));
                }
            }
        }

        _ctx.Step();
        var result = call(vectors, keys, _start);
        for (int i = 0; i < exprs.Length; i++)
        {
            pool.Return(keys[i]);
            if (!ReferenceEquals(vectors[i], result))
            {
                pool.Return(vectors[i]);
            }
        }

        if (Labels.ContainsSameLabelset(result, pool.LabelSets))
        {
            throw Error("vector cannot contain metrics with the same labelset");
        }

        AddSamples(result.Count);
        for (int i = 0; i < result.Count; i++)
        {
            result[i] = result[i] with { T = _start };
        }

        return result;
    }

    /// <summary>setOffsetForAtModifier: offsets that make every <c>@</c> read at its time from <paramref name="evalTime"/>.</summary>
    private static void SetOffsetForAtModifier(QueryContext ctx, long evalTime, Expr root)
    {
        var path = new List<SubqueryExpr>();
        void Visit(Expr node)
        {
            switch (node)
            {
                case VectorSelector v:
                    SetOffset(v);
                    break;
                case MatrixSelector { Selector: VectorSelector mv }:
                    SetOffset(mv);
                    break;
                case SubqueryExpr s:
                    SetOffset(s);
                    break;
            }

            bool pushed = false;
            if (node is SubqueryExpr sq)
            {
                path.Add(sq);
                pushed = true;
            }

            foreach (var child in Parser.Children(node))
            {
                if (node is MatrixSelector)
                {
                    continue; // its selector was handled with it
                }

                Visit(child);
            }

            if (pushed)
            {
                path.RemoveAt(path.Count - 1);
            }
        }

        void SetOffset(IModified n)
        {
            long? ts = n.At switch
            {
                AtKind.Timestamp => n.AtTimestamp,
                AtKind.Start => ctx.Start,
                AtKind.End => ctx.End,
                _ => null,
            };
            if (ts is null)
            {
                ctx.Offsets.Remove(n);
                return;
            }

            long subqOffset = 0;
            long? subqTs = null;
            foreach (var s in path)
            {
                subqOffset += s.OriginalOffset;
                long? sTs = s.At switch
                {
                    AtKind.Timestamp => s.AtTimestamp,
                    AtKind.Start => ctx.Start,
                    AtKind.End => ctx.End,
                    _ => null,
                };
                if (sTs is not null)
                {
                    subqOffset = s.OriginalOffset;
                    subqTs = sTs;
                }
            }

            if (subqTs is not null)
            {
                subqOffset += evalTime - subqTs.Value;
            }

            long offsetForTs = evalTime - ts.Value;
            ctx.Offsets[n] = n.OriginalOffset + (offsetForTs - subqOffset);
        }

        if (HasAt(root))
        {
            Visit(root);
        }
    }

    private static readonly ConditionalWeakTable<Expr, object> AtCache = new();

    /// <summary>Whether any selector or subquery below has an <c>@</c>; without one, offsets are the written ones.</summary>
    private static bool HasAt(Expr root) => (bool)AtCache.GetValue(root, static r =>
    {
        var stack = new Stack<Expr>();
        stack.Push(r);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (node is IModified { At: not AtKind.None })
            {
                return true;
            }

            foreach (var child in Parser.Children(node))
            {
                stack.Push(child);
            }
        }

        return false;
    });
}
