using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Monitor.Checks.Scrape;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Rules.Alerting;
using Monitor.Rules.Engine;
using Monitor.Rules.RuleFiles;

namespace Monitor.Benchmarks.Scrape;

/// <summary>
/// <c>-- scrape-rules [scrapes]</c>: a scrape's ingest of a 100k-series body with and without 200 rules loaded
/// over those series (their 10-minute history filled, a rule tick between scrapes as in a running Monitor),
/// to show whether loading rules makes a scrape slower. Prints the median ingest and the collections during it.
/// </summary>
internal static class ScrapeWithRulesHarness
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    private sealed class NullSink : IAlertSink
    {
        public void Publish(IReadOnlyList<AlertTransition> transitions, DateTimeOffset at)
        {
        }
    }

    public static int Run(string[] args)
    {
        int scrapes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        // Two bodies alternated, so every scrape changes a tenth of the values, as a live endpoint does.
        var (a, _) = ExpositionParserBenchmarks.Exposition(team: c => $"t{c % 25}");
        byte[] b = Changed(a);
        foreach (bool rules in new[] { false, true, false, true })
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var store = new SeriesStore();
            var ingest = ScrapeIngestBenchmarks.Ingest(store, "scrape");
            RuleEngine? engine = null;
            if (rules)
            {
                var (groups, errors) = RuleFileLoader.Parse(RewrittenRules(), "bench.rules.yml");
                if (errors.Count > 0)
                {
                    throw new InvalidOperationException(string.Join("\n", errors));
                }

                engine = new RuleEngine(store, TimeProvider.System, new NullSink(), NullLogger<RuleEngine>.Instance);
                engine.Apply(new MonitorOptions { SourceFile = "bench", EvaluationInterval = TimeSpan.FromSeconds(15) }, groups);
            }

            int tick = 0;
            for (; tick < 62; tick++)
            {
                ingest.Ingest(tick % 2 == 0 ? a : b, openMetrics: false);
                engine?.Tick(T0.AddSeconds(15 * tick));
            }

            var times = new List<double>();
            int gen0 = 0, gen1 = 0, gen2 = 0;
            for (int i = 0; i < scrapes; i++, tick++)
            {
                int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
                var sw = Stopwatch.StartNew();
                ingest.Ingest(tick % 2 == 0 ? a : b, openMetrics: false);
                times.Add(sw.Elapsed.TotalMilliseconds);
                gen0 += GC.CollectionCount(0) - g0;
                gen1 += GC.CollectionCount(1) - g1;
                gen2 += GC.CollectionCount(2) - g2;
                engine?.Tick(T0.AddSeconds(15 * tick));
            }

            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rules {(rules ? "200, history " + engine!.History : "none")}: ingest median {times[times.Count / 2]:0.0} ms, max {times[^1]:0.0} ms; collections during {scrapes} ingests: gen0 {gen0}, gen1 {gen1}, gen2 {gen2}; heap {GC.GetTotalMemory(false) / 1048576} MB"));
        }

        return 0;
    }

    /// <summary>The rule benchmark's 200 rules, selecting the scraped series (the endpoint's check label is exported_check here).</summary>
    internal static string RewrittenRules() => Rules.RuleEvaluationBenchmarks.RuleFile().Replace("on(check)", "on(exported_check)", StringComparison.Ordinal);

    internal static byte[] Changed(byte[] body)
    {
        // Same series, every tenth line's value replaced by another of the same length.
        byte[] copy = (byte[])body.Clone();
        int line = 0;
        for (int i = 0; i < copy.Length; i++)
        {
            if (copy[i] == (byte)'\n' && ++line % 10 == 0 && i > 0 && copy[i - 1] is >= (byte)'0' and < (byte)'9')
            {
                copy[i - 1]++;
            }
        }

        return copy;
    }
}
