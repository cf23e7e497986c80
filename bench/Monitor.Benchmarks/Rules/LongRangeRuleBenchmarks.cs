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
/// Rules over a day of history: 10k live series (1k checks × 10 probe families, 5 of them read by the rules) recorded every 15 s for 24 h
/// (5,761 samples each), read by 125 rules (5 shapes × 25 teams) with <c>[1d]</c> ranges, <c>offset 1d</c> comparisons and a subquery
/// over a day. What a day of history costs in memory, and a tick over it.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class LongRangeRuleBenchmarks
{
    private const int Checks = 1_000;
    private const int Interval = 15;
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

    public static string RuleFile()
    {
        var sb = new StringBuilder("groups:\n- name: day\n  rules:\n");
        string[] shapes =
        [
            "max_over_time(probe_duration_seconds{{team=\"t{0}\"}}[1d]) > 90",
            "rate(probe_http_content_length{{team=\"t{0}\"}}[1d]) > 1000",
            "probe_dns_lookup_time_seconds{{team=\"t{0}\"}} > 2 * probe_dns_lookup_time_seconds{{team=\"t{0}\"}} offset 1d",
            "avg_over_time(probe_http_redirects{{team=\"t{0}\"}}[1d]) > 50",
            "max_over_time(rate(probe_http_status_code{{team=\"t{0}\"}}[5m])[1d:1h]) > 10",
        ];
        for (int i = 0; i < 125; i++)
        {
            string expr = string.Format(CultureInfo.InvariantCulture, shapes[i % shapes.Length], i / shapes.Length);
            sb.Append(CultureInfo.InvariantCulture, $"  - alert: Day{i}\n    expr: '{expr}'\n    for: 5m\n");
        }

        return sb.ToString();
    }

    [GlobalSetup]
    public void Setup()
    {
        var store = new SeriesStore();
        var values = new List<Sample>();
        for (int c = 0; c < Checks; c++)
        {
            var scope = new SeriesScope(store, $"check-{c:D5}", new Dictionary<string, string> { ["service"] = $"svc-{c % 50}", ["team"] = $"t{c % 25}" });
            foreach (string family in ProbeFamilies.Names)
            {
                var sample = scope.Gauge(family, "B.");
                sample.Set(c % 100);
                values.Add(sample);
            }
        }

        _values = [.. values];
        var (groups, errors) = RuleFileLoader.Parse(RuleFile(), "day.rules.yml");
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join("\n", errors));
        }

        _engine = new RuleEngine(store, TimeProvider.System, new NullSink(), NullLogger<RuleEngine>.Instance);
        _engine.Apply(new MonitorOptions { SourceFile = "bench", EvaluationInterval = TimeSpan.FromSeconds(Interval) }, groups);

        // A day of history, recorded as the running engine records it (without evaluating on the way).
        for (_tick = 0; _tick <= 86_400 / Interval; _tick++)
        {
            Advance();
            _engine.History.Record(T0.AddSeconds(Interval * _tick).ToUnixTimeMilliseconds());
        }
    }

    private void Advance()
    {
        for (int i = _tick % 7; i < _values.Length; i += 7)
        {
            _values[i].Set(_values[i].Value + (_tick % 3));
        }
    }

    /// <summary>Memory per sample of a day of history, and the time of a tick (dev aid, not a benchmark).</summary>
    public static void Profile()
    {
        long baseline = GC.GetTotalMemory(true);
        var b = new LongRangeRuleBenchmarks();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        b.Setup();
        long after = GC.GetTotalMemory(true);
        var history = b._engine.History;
        Console.WriteLine($"setup {sw.Elapsed.TotalSeconds:0.0}s; history {history}");
        Console.WriteLine($"chunk bytes {history.SampleBytes / 1048576.0:0.0} MB = {history.SampleBytes / (double)history.SampleCount:0.00} B/sample; managed heap (store+engine+history) {(after - baseline) / 1048576.0:0} MB = {(after - baseline) / (double)history.SampleCount:0.00} B/sample");
        for (int i = 0; i < 5; i++)
        {
            sw.Restart();
            b.Tick125DayRulesOver5kSeries();
            Console.WriteLine($"tick {sw.Elapsed.TotalMilliseconds:0} ms");
        }
    }

    [Benchmark]
    public void Tick125DayRulesOver5kSeries()
    {
        Advance();
        _engine.Tick(T0.AddSeconds(Interval * _tick++));
    }
}
