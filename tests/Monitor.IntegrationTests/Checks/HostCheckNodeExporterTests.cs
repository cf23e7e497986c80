using System.Globalization;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;
using Xunit.Abstractions;

namespace Monitor.IntegrationTests.Checks;

/// <summary>
/// The host check against Debian's prometheus-node-exporter (1.5) on the same machine in the same run, with only
/// the collectors the check stands in for. Readings are bracketed in time: node_exporter (N1), then a run of the
/// check that started after N1 had answered, then node_exporter again (N2). Every family both publish must have
/// the same HELP, TYPE and label sets; a counter must lie within [N1, N2] (one scrape's movement); a gauge within
/// that range widened by its class's tolerance; constants must be equal.
/// </summary>
public sealed class HostCheckNodeExporterTests(ITestOutputHelper output)
{
    private static readonly string[] Collectors = ["cpu", "stat", "loadavg", "meminfo", "netdev", "diskstats", "filefd", "pressure", "uname", "time"];

    /// <summary>What node_exporter publishes that the host check does not (each says why).</summary>
    private static readonly string[] NotPublished =
    [
        "node_time_zone_offset_seconds", // needs the zone's abbreviation (Go's "UTC", "CET") that .NET does not give
    ];

    private sealed record Exposition(Dictionary<string, string> Help, Dictionary<string, string> Type, Dictionary<string, Dictionary<string, double>> Samples);

    /// <summary>Text 0.0.4, series keyed by their sorted labels less <paramref name="dropLabels"/>.</summary>
    private static Exposition Parse(string text, params string[] dropLabels)
    {
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        var type = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ', 4);
                (parts[1] == "HELP" ? help : type)[parts[2]] = parts.Length > 3 ? parts[3] : string.Empty;
            }
        }

        var samples = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        foreach (var family in type.Keys)
        {
            foreach (var (labels, value) in MetricSamples.Parse(text).Series(family))
            {
                string key = string.Join(",", labels.Where(l => !dropLabels.Contains(l.Key)).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
                (samples.TryGetValue(family, out var series) ? series : samples[family] = new(StringComparer.Ordinal))[key] = value;
            }
        }

        return new Exposition(help, type, samples);
    }

    /// <summary>How far outside [N1, N2] a value may be, by family.</summary>
    private static (string Class, double Slack) Tolerance(string family, string type, double memTotal) => family switch
    {
        "node_boot_time_seconds" or "node_filefd_maximum" or "node_memory_MemTotal_bytes" or "node_memory_SwapTotal_bytes" => ("constant", 0),
        _ when family.EndsWith("_info", StringComparison.Ordinal) => ("constant", 0),
        "node_time_seconds" => ("time", 0),
        _ when type == "counter" => ("counter", 0),
        _ when family.StartsWith("node_memory_", StringComparison.Ordinal) && family.EndsWith("_bytes", StringComparison.Ordinal) => ("memory", 0.02 * memTotal),
        _ when family.StartsWith("node_memory_", StringComparison.Ordinal) => ("memory pages", 0),
        _ when family.StartsWith("node_load", StringComparison.Ordinal) => ("load", 0.01),
        // Instantaneous counts, not bracketed by N1 and N2: seen up to 1 outside (10 apart between N1 and N2) on an idle
        // 2-CPU machine; generous because the builds sharing it change them by whole processes.
        "node_procs_running" or "node_procs_blocked" or "node_disk_io_now" => ("processes", 16),
        "node_filefd_allocated" => ("file handles", 1000),
        _ => ("other gauge", 0),
    };

    [Fact]
    public async Task Host_AgainstNodeExporter_SameFamiliesLabelsAndValues()
    {
        int port = FreePort.Get();
        using var node = new ExternalProcess(
            Tools.Require("prometheus-node-exporter", "prometheus-node-exporter"),
            // Debian patches netdev's default exclusion to ^lo$; upstream 1.5, which the check follows, excludes nothing.
            [$"--web.listen-address=127.0.0.1:{port}", "--log.level=warn", "--collector.disable-defaults", "--collector.netdev.device-exclude=", .. Collectors.Select(c => "--collector." + c)]);
        var http = new HttpClient();
        await Eventually.HoldsAsync(async () => (await http.GetAsync($"http://127.0.0.1:{port}/metrics")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), () => node.Output);

        await using var monitor = await MonitorProcess.StartAsync("""
            checks:
              - name: host
                host: {}
                interval: 1s
                labels: { team: ops }
            """);

        string ours = "host check not run";
        await Eventually.HoldsAsync(async () => (ours = await monitor.GetStringAsync("/metrics")).Contains("node_time_seconds{check=\"host\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30), () => monitor.Output);

        // N1; then a whole run of the check after N1 answered (its node_time_seconds marks each run's end); then N2.
        var n1 = Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/metrics"));
        double afterN1 = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        double RunEnd(Exposition e) => e.Samples["node_time_seconds"][string.Empty];
        Exposition m = Parse(ours, "check", "team");
        await Eventually.HoldsAsync(async () => RunEnd(m = Parse(await monitor.GetStringAsync("/metrics"), "check", "team")) > afterN1, TimeSpan.FromSeconds(30), () => monitor.Output);
        double firstAfter = RunEnd(m);
        await Eventually.HoldsAsync(async () => RunEnd(m = Parse(await monitor.GetStringAsync("/metrics"), "check", "team")) > firstAfter, TimeSpan.FromSeconds(30), () => monitor.Output);
        var n2 = Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/metrics"));

        string[] exporterOwn = ["node_scrape_collector_", "node_exporter_", "go_", "process_", "promhttp_"];
        var theirs = n1.Type.Keys.Where(f => !exporterOwn.Any(p => f.StartsWith(p, StringComparison.Ordinal))).ToHashSet(StringComparer.Ordinal);
        var mine = m.Type.Keys.Where(f => f.StartsWith("node_", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(theirs.Except(NotPublished).Order(StringComparer.Ordinal), theirs.Intersect(mine).Order(StringComparer.Ordinal));
        Assert.Empty(mine.Except(theirs)); // nothing node_exporter would not publish here

        double memTotal = n1.Samples["node_memory_MemTotal_bytes"][string.Empty];
        var worst = new Dictionary<string, (double Outside, string OutsideSeries, double Window, string WindowSeries, int Count)>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (string family in theirs.Intersect(mine).Order(StringComparer.Ordinal))
        {
            Assert.True(n1.Help[family] == m.Help[family], $"{family}: HELP \"{m.Help[family]}\", node_exporter's \"{n1.Help[family]}\"");
            Assert.True(n1.Type[family] == m.Type[family], $"{family}: TYPE {m.Type[family]}, node_exporter's {n1.Type[family]}");
            var labelSets = n1.Samples.GetValueOrDefault(family, []).Keys.Order(StringComparer.Ordinal).ToList();
            Assert.True(labelSets.SequenceEqual(m.Samples.GetValueOrDefault(family, []).Keys.Order(StringComparer.Ordinal)), $"{family}: label sets {string.Join(" | ", m.Samples.GetValueOrDefault(family, []).Keys.Order(StringComparer.Ordinal))}, node_exporter's {string.Join(" | ", labelSets)}");

            var (kind, slack) = Tolerance(family, n1.Type[family], memTotal);
            foreach (string series in labelSets)
            {
                double a = n1.Samples[family][series], b = n2.Samples[family].GetValueOrDefault(series, double.NaN), got = m.Samples[family][series];
                double low = Math.Min(a, b), high = Math.Max(a, b);
                double outside = got < low ? low - got : got > high ? got - high : 0;
                bool ok = kind switch
                {
                    "constant" => got == a && got == b,
                    "time" => got > a && got < b,
                    _ => outside <= slack,
                };
                if (!ok)
                {
                    failures.Add($"{family}{{{series}}}: {got.ToString(CultureInfo.InvariantCulture)}, node_exporter {a.ToString(CultureInfo.InvariantCulture)} then {b.ToString(CultureInfo.InvariantCulture)} ({kind}, slack {slack.ToString(CultureInfo.InvariantCulture)})");
                }

                var w = worst.GetValueOrDefault(kind);
                string name = $"{family}{{{series}}}";
                worst[kind] = (
                    Math.Max(w.Outside, outside),
                    outside > w.Outside ? name : w.OutsideSeries ?? string.Empty,
                    Math.Max(w.Window, high - low),
                    high - low > w.Window ? name : w.WindowSeries ?? string.Empty,
                    w.Count + 1);
            }
        }

        output.WriteLine($"families compared: {theirs.Intersect(mine).Count()} ({string.Join(", ", theirs.Intersect(mine).Order(StringComparer.Ordinal))})");
        output.WriteLine($"node_exporter's not published: {string.Join(", ", theirs.Except(mine))}");
        foreach (var (kind, w) in worst.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{kind}: {w.Count} series, furthest outside [N1, N2] {w.Outside.ToString(CultureInfo.InvariantCulture)} {w.OutsideSeries}, widest N1..N2 movement {w.Window.ToString(CultureInfo.InvariantCulture)} {w.WindowSeries}");
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }
}
