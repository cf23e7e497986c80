using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Rules.Alerting;
using Monitor.Rules.Engine;
using Monitor.Rules.RuleFiles;

namespace Monitor.Benchmarks.Rules;

/// <summary>
/// One evaluation of 200 rules over 100k live series (10k checks × 10 probe families), with a full 10-minute
/// history (15 s evaluation interval): the tick a running Monitor does every evaluation interval.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class RuleEvaluationBenchmarks
{
    private const int Checks = 10_000;
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    private RuleEngine _engine = null!;
    private Sample[] _values = [];
    private int _tick;

    private sealed class NullSink : IAlertSink
    {
        public void Publish(IReadOnlyList<AlertTransition> transitions, DateTimeOffset at)
        {
        }
    }

    /// <summary>200 rules in the shapes real rule files use: filters, *_over_time, rate, aggregations, joins.</summary>
    public static string RuleFile()
    {
        var sb = new StringBuilder("groups:\n- name: bench\n  rules:\n");
        string[] shapes =
        [
            "probe_success{{team=\"t{0}\"}} == 0",
            "avg_over_time(probe_duration_seconds{{team=\"t{0}\"}}[5m]) > 2",
            "rate(probe_http_content_length{{team=\"t{0}\"}}[5m]) > 1000",
            "sum by (service) (probe_http_redirects{{team=\"t{0}\"}}) > 3",
            "probe_http_status_code{{team=\"t{0}\"}} >= 500 and on(check) probe_success == 0",
            "max_over_time(probe_dns_lookup_time_seconds{{team=\"t{0}\"}}[10m]) > 1",
            "(probe_ssl_earliest_cert_expiry{{team=\"t{0}\"}} - time()) / 86400 < 14",
            "predict_linear(probe_duration_seconds{{team=\"t{0}\"}}[10m], 3600) > 5",
        ];
        for (int i = 0; i < 200; i++)
        {
            string expr = string.Format(CultureInfo.InvariantCulture, shapes[i % shapes.Length], i % 25);
            sb.Append(CultureInfo.InvariantCulture, $"  - alert: Rule{i}\n    expr: '{expr}'\n    for: 5m\n");
        }

        return sb.ToString();
    }

    private SeriesStore _store = null!;

    private void BuildStore()
    {
        var store = _store = new SeriesStore();
        string[] families = ProbeFamilies.Names;
        var values = new List<Sample>();
        for (int c = 0; c < Checks; c++)
        {
            var scope = new SeriesScope(store, $"check-{c:D5}", new Dictionary<string, string> { ["service"] = $"svc-{c % 500}", ["team"] = $"t{c % 25}" });
            foreach (string family in families)
            {
                var sample = scope.Gauge(family, "B.");
                sample.Set(family == "probe_success" ? 1 : c % 100);
                values.Add(sample);
            }
        }

        _values = [.. values];
    }

    [GlobalSetup]
    public void Setup()
    {
        BuildStore();
        var store = _store;
        var (groups, errors) = RuleFileLoader.Parse(RuleFile(), "bench.rules.yml");
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join("\n", errors));
        }

        _engine = new RuleEngine(store, TimeProvider.System, new NullSink(), NullLogger<RuleEngine>.Instance);
        _engine.Apply(new MonitorOptions { SourceFile = "bench", EvaluationInterval = TimeSpan.FromSeconds(15) }, groups);
        // Fill the history window (10 m longest range + 5 m lookback + 15 s).
        for (_tick = 0; _tick < 62; _tick++)
        {
            Advance();
            _engine.Tick(T0.AddSeconds(15 * _tick));
        }
    }

    private void Advance()
    {
        for (int i = _tick % 7; i < _values.Length; i += 7)
        {
            _values[i].Set(_values[i].Value + 1);
        }
    }

    /// <summary>Where a tick's time goes: history recording, then each rule shape (dev aid, not a benchmark).</summary>
    public static void Profile()
    {
        long baseline = GC.GetTotalMemory(true);
        var storeOnly = new RuleEvaluationBenchmarks();
        storeOnly.BuildStore();
        long withStore = GC.GetTotalMemory(true);
        GC.KeepAlive(storeOnly);
        storeOnly = null;
        var b = new RuleEvaluationBenchmarks();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        b.Setup();
        long withHistory = GC.GetTotalMemory(true);
        Console.WriteLine($"setup {sw.Elapsed.TotalSeconds:0.0}s; history {b._engine.History}");
        Console.WriteLine($"managed heap: store {(withStore - baseline) / 1048576.0:0} MB, store+engine+history {(withHistory - baseline) / 1048576.0:0} MB, history {(withHistory - withStore) / 1048576.0:0} MB = {(withHistory - withStore) / (double)b._engine.History.SampleCount:0.0} B/sample");
        long chunkBytes = b._engine.History.SampleBytes;
        Console.WriteLine($"  of which the samples' chunks {chunkBytes / 1048576.0:0.0} MB = {chunkBytes / (double)b._engine.History.SampleCount:0.00} B/sample; the rest is per-series state (labels, index, chunk headers) and the engine's alert state ({b._engine.History.SeriesCount} series held)");
        for (int i = 0; i < 5; i++)
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            sw.Restart();
            b.Tick200RulesOver100kSeries();
            Console.WriteLine($"tick {sw.Elapsed.TotalMilliseconds:0} ms, allocated {(GC.GetAllocatedBytesForCurrentThread() - allocated) / 1048576.0:0.0} MB");
        }

        long now = T0.AddSeconds(15 * (b._tick - 1)).ToUnixTimeMilliseconds();
        long before = GC.GetAllocatedBytesForCurrentThread();
        sw.Restart();
        b._engine.History.Record(now + 15000);
        Console.WriteLine($"record {sw.Elapsed.TotalMilliseconds:0.0} ms, allocated {(GC.GetAllocatedBytesForCurrentThread() - before) / 1048576.0:0.0} MB");
        var (groups, _) = RuleFileLoader.Parse(RuleFile(), "x");
        sw.Restart();
        foreach (var rule in groups[0].Rules)
        {
            Monitor.Rules.Evaluation.Evaluator.QueryVector(rule.Expr, now, b._engine.History, 15_000);
        }

        Console.WriteLine($"all 200 queries alone {sw.Elapsed.TotalMilliseconds:0} ms");
        for (int rep = 0; rep < 3; rep++)
        {
            sw.Restart();
            foreach (var rule in groups[0].Rules)
            {
                Monitor.Rules.Evaluation.Evaluator.QueryVector(rule.Expr, now, b._engine.History, 15_000);
            }

            Console.WriteLine($"all 200 queries alone {sw.Elapsed.TotalMilliseconds:0} ms");
        }

        before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var rule in groups[0].Rules)
        {
            Monitor.Rules.Evaluation.Evaluator.QueryVector(rule.Expr, now, b._engine.History, 15_000);
        }

        Console.WriteLine($"all 200 queries allocate {(GC.GetAllocatedBytesForCurrentThread() - before) / 1048576.0:0.0} MB");
        var pool = new Monitor.Rules.Evaluation.VectorPool();
        for (int rep = 0; rep < 2; rep++)
        {
            before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var rule in groups[0].Rules)
            {
                pool.Return(Monitor.Rules.Evaluation.Evaluator.QueryVector(rule.Expr, now, b._engine.History, 15_000, pool));
            }

            Console.WriteLine($"all 200 queries with one pool, as the engine runs them, allocate {(GC.GetAllocatedBytesForCurrentThread() - before) / 1048576.0:0.0} MB");
        }

        var selectors = groups[0].Rules.SelectMany(r => Collect(r.Expr)).ToList();
        for (int rep = 0; rep < 3; rep++)
        {
            sw.Restart();
            int n = 0;
            foreach (var v in selectors)
            {
                n += b._engine.History.Select(v.Matchers).Count;
            }

            Console.WriteLine($"{selectors.Count} selects alone {sw.Elapsed.TotalMilliseconds:0} ms ({n} series)");
        }
        foreach (var rule in groups[0].Rules.Take(8))
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            sw.Restart();
            var result = Monitor.Rules.Evaluation.Evaluator.QueryVector(rule.Expr, now, b._engine.History, 15_000, pool);
            Console.WriteLine($"{sw.Elapsed.TotalMilliseconds,8:0.0} ms {(GC.GetAllocatedBytesForCurrentThread() - allocated) / 1024.0,8:0} KB {result.Count,5} results  {rule.ExprText}");
            pool.Return(result);
        }
    }

    private static IEnumerable<Monitor.Rules.PromQL.VectorSelector> Collect(Monitor.Rules.PromQL.Expr e) =>
        e is Monitor.Rules.PromQL.VectorSelector v ? [v] : Monitor.Rules.PromQL.Parser.Children(e).SelectMany(Collect);

    [Benchmark]
    public void Tick200RulesOver100kSeries()
    {
        Advance();
        _engine.Tick(T0.AddSeconds(15 * _tick++));
    }
}
