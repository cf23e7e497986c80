using System.Text.RegularExpressions;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Metrics;

/// <summary>
/// A real node_exporter 1.5 and a real Prometheus 2.42 re-exposed through Monitor's scrape check: promtool
/// finds nothing in Monitor's output that it does not find in the sources' own, stable values match, and
/// families Monitor also has (process_*) or that both sources have (go_*) stay one family with one TYPE.
/// </summary>
public sealed partial class ScrapeRoundTripTests
{
    private static async Task<HashSet<string>> LintAsync(string text)
    {
        var (_, output) = await ExternalProcess.RunAsync(Tools.Promtool, ["check", "metrics"], stdin: text);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim())];
    }

    private static Dictionary<string, string> Samples(string text, string metric) =>
        text.Split('\n').Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal))
            .ToDictionary(l => CheckLabels().Replace(l[..l.LastIndexOf(' ')], string.Empty).Replace("{}", string.Empty, StringComparison.Ordinal), l => l[(l.LastIndexOf(' ') + 1)..]);

    [GeneratedRegex("check=\"[^\"]*\",?")]
    private static partial Regex CheckLabels();

    [Fact]
    public async Task Scrape_NodeExporterAndPrometheus_RoundTripThroughMonitor()
    {
        int nodePort = FreePort.Get();
        using var node = new ExternalProcess(Tools.Require("prometheus-node-exporter", "prometheus-node-exporter"), [$"--web.listen-address=127.0.0.1:{nodePort}", "--log.level=warn"]);
        using var prometheus = await PrometheusServer.StartAsync("  - job_name: self\n    static_configs: [ { targets: [\"127.0.0.1:1\"] } ]\n");
        var http = new HttpClient();
        await Eventually.HoldsAsync(async () => (await http.GetAsync($"http://127.0.0.1:{nodePort}/metrics")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), () => node.Output);

        await using var monitor = await MonitorProcess.StartAsync($$"""
            checks:
              - name: node
                scrape: { url: "http://127.0.0.1:{{nodePort}}/metrics" }
                interval: 2s
              - name: prom
                scrape: { url: "{{prometheus.BaseUri}}metrics" }
                interval: 2s
            """);
        await Eventually.HoldsAsync(
            async () => (await monitor.GetStringAsync("/metrics")).Contains("node_filesystem_size_bytes{check=\"node\"", StringComparison.Ordinal)
                && (await monitor.GetStringAsync("/metrics")).Contains("prometheus_build_info{check=\"prom\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            () => monitor.Output);

        string ours = await monitor.GetStringAsync("/metrics", "text/plain;version=0.0.4");
        string nodeText = await http.GetStringAsync($"http://127.0.0.1:{nodePort}/metrics");
        string promText = await http.GetStringAsync(new Uri(prometheus.BaseUri, "/metrics"));

        // promtool: every finding on Monitor's output is one the sources have themselves.
        var sourceFindings = (await LintAsync(nodeText)).Union(await LintAsync(promText)).ToHashSet();
        var ourFindings = await LintAsync(ours);
        Assert.Empty(ourFindings.Except(sourceFindings));

        // One TYPE line per family, even for process_* (Monitor's own too) and go_* (both sources).
        var types = ours.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Equal(types.Count, types.Distinct().Count());
        Assert.Contains("process_cpu_seconds_total{check=\"node\"}", ours);
        Assert.Contains("process_cpu_seconds_total{check=\"prom\"}", ours);
        Assert.Matches(new Regex("^process_cpu_seconds_total [0-9.e+]+$", RegexOptions.Multiline), ours);
        Assert.Contains("go_goroutines{check=\"node\"}", ours);
        Assert.Contains("go_goroutines{check=\"prom\"}", ours);

        // Stable values agree with the sources'.
        foreach (var (metric, source) in new[] { ("node_filesystem_size_bytes", nodeText), ("node_exporter_build_info", nodeText), ("prometheus_build_info", promText), ("prometheus_config_last_reload_successful", promText) })
        {
            var expected = Samples(source, metric);
            var actual = Samples(ours, metric);
            Assert.NotEmpty(expected);
            foreach (var (series, value) in expected)
            {
                Assert.True(actual.TryGetValue(series, out var got), $"{series} missing from Monitor's output");
                Assert.Equal(double.Parse(value, System.Globalization.CultureInfo.InvariantCulture), double.Parse(got, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    [Fact]
    public async Task Scrape_TargetWithCheckAndExportedCheck_PrometheusScrapingMonitorStaysUp()
    {
        // Before: exported_check came out twice and Prometheus rejected Monitor's whole scrape (up 0).
        await using var targets = await TargetServer.StartAsync();
        await using var monitor = await MonitorProcess.StartAsync($$"""
            checks:
              - name: collide
                scrape: { url: "{{targets.Url("/colliding-labels")}}" }
                interval: 1s
            """);
        using var prometheus = await PrometheusServer.StartAsync($$"""
              - job_name: monitor
                static_configs: [ { targets: ["{{monitor.BaseUri.Authority}}"] } ]
            """);
        await Eventually.HoldsAsync(
            async () =>
            {
                var up = await prometheus.QueryAsync("up{job=\"monitor\"}");
                var series = await prometheus.QueryAsync("collide{job=\"monitor\"}");
                return up.Count == 1 && up[0].Value == "1" && series.Count == 1
                    && series[0].Labels.GetValueOrDefault("check") == "collide"
                    && series[0].Labels.GetValueOrDefault("exported_check") == "older"
                    && series[0].Labels.GetValueOrDefault("exported_exported_check") == "theirs";
            },
            TimeSpan.FromSeconds(60),
            () => $"Prometheus:\n{prometheus.Output}\nMonitor:\n{monitor.Output}");
    }
}
