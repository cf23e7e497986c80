using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Monitor.Benchmarks.Alerting;
using Monitor.Benchmarks.Load;
using Monitor.Tests.TestSupport;

namespace Monitor.Benchmarks.Scrape;

/// <summary>
/// <c>-- scrape-rules-vs [--minutes 8] [--warmup 2]</c>: Prometheus (Debian's) and Monitor side by side in one run,
/// each scraping the same 100k-series endpoint every 15 s and evaluating the rule benchmark's 200 rules every 15 s.
/// The endpoint (in this process, so it counts for neither) serves one of two bodies by the 15 s window, so both
/// read the same values. After the warm-up, each process's CPU time over the window and its resident memory
/// (median of 5 s samples) are compared; at the end, each one's own scrape and rule-evaluation durations (means over the run) and the
/// firing alerts, key for key (Prometheus's <c>check</c> is Monitor's <c>exported_check</c>; <c>job</c>,
/// <c>instance</c> and the scrape check's own <c>check</c> are not compared).
/// </summary>
internal static class ScrapeRulesSideBySide
{
    public static async Task<int> RunAsync(string[] args)
    {
        var duration = TimeSpan.FromMinutes(HarnessArgs.Int(args, "--minutes", 8));
        var warmup = TimeSpan.FromMinutes(HarnessArgs.Int(args, "--warmup", 2));
        var (a, _) = ExpositionParserBenchmarks.Exposition(team: c => $"t{c % 25}");
        byte[] b = ScrapeWithRulesHarness.Changed(a);
        int endpointPort = FreePort.Get(), promPort = FreePort.Get(), monitorPort = FreePort.Get();
        await using var endpoint = await ServeAsync(endpointPort, a, b);
        string dir = Path.Combine(Path.GetTempPath(), "monitor-vs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        string url = $"http://127.0.0.1:{endpointPort}/metrics";
        string rules = Rules.RuleEvaluationBenchmarks.RuleFile();
        File.WriteAllText(Path.Combine(dir, "prometheus-rules.yml"), rules);
        File.WriteAllText(Path.Combine(dir, "monitor-rules.yml"), ScrapeWithRulesHarness.RewrittenRules());
        File.WriteAllText(Path.Combine(dir, "prometheus.yml"), $"""
            global: {"{"} scrape_interval: 15s, scrape_timeout: 10s, evaluation_interval: 15s {"}"}
            rule_files: [prometheus-rules.yml]
            scrape_configs:
              - job_name: bench
                static_configs: [{"{"} targets: ["127.0.0.1:{endpointPort}"] {"}"}]
            """);
        File.WriteAllText(Path.Combine(dir, "monitor.yaml"), $$"""
            server: { listen: "127.0.0.1:{{monitorPort}}" }
            checks:
              - { name: bench, interval: 15s, timeout: 10s, scrape: { url: "{{url}}" } }
            rule_files: [monitor-rules.yml]
            evaluation_interval: 15s
            """);

        using var prometheus = BenchProcess.Start("prometheus", [
            "--config.file=" + Path.Combine(dir, "prometheus.yml"),
            "--storage.tsdb.path=" + Path.Combine(dir, "prometheus-data"),
            "--web.listen-address=127.0.0.1:" + promPort.ToString(CultureInfo.InvariantCulture),
            "--log.level=error",
        ], dir);
        string dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "monitor.dll"));
        using var monitor = BenchProcess.Start("dotnet", [dll, "run", "--config", Path.Combine(dir, "monitor.yaml")], dir);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            Console.WriteLine($"scrape + rules side by side: 100k series, 200 rules, 15 s; warm-up {warmup.TotalMinutes:0} min, measured {(duration - warmup).TotalMinutes:0} min");
            await Task.Delay(warmup, TimeProvider.System);
            double promCpu0 = ProcessStats.CpuSeconds(prometheus.Id), monCpu0 = ProcessStats.CpuSeconds(monitor.Id);
            var started = TimeProvider.System.GetUtcNow();
            var promRss = new List<double>();
            var monRss = new List<double>();
            while (TimeProvider.System.GetUtcNow() - started < duration - warmup)
            {
                promRss.Add(ProcessStats.Memory(prometheus.Id).Rss);
                monRss.Add(ProcessStats.Memory(monitor.Id).Rss);
                await Task.Delay(TimeSpan.FromSeconds(5), TimeProvider.System);
            }

            double seconds = (TimeProvider.System.GetUtcNow() - started).TotalSeconds;
            double promCores = (ProcessStats.CpuSeconds(prometheus.Id) - promCpu0) / seconds;
            double monCores = (ProcessStats.CpuSeconds(monitor.Id) - monCpu0) / seconds;
            double promMem = Statistics.Median(promRss), monMem = Statistics.Median(monRss);
            var promPeak = ProcessStats.Memory(prometheus.Id).Peak;
            var monPeak = ProcessStats.Memory(monitor.Id).Peak;

            string promBase = $"http://127.0.0.1:{promPort}";
            // Means over the whole run on both sides: Prometheus's scrape from its own series, its evaluation from its
            // summary (it does not scrape itself here); Monitor's from its histograms.
            double promScrape = await PromValueAsync(http, promBase, "avg_over_time(scrape_duration_seconds{job=\"bench\"}[1h])");
            string promMetrics = await http.GetStringAsync(new Uri($"{promBase}/metrics"));
            double promRules = MetricValue(promMetrics, "prometheus_rule_group_duration_seconds_sum") / MetricValue(promMetrics, "prometheus_rule_group_duration_seconds_count");
            string metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{monitorPort}/metrics"));
            double monScrape = MetricValue(metrics, "monitor_check_duration_seconds_sum{kind=\"scrape\"}") / MetricValue(metrics, "monitor_check_duration_seconds_count{kind=\"scrape\"}");
            double monRules = MetricValue(metrics, "monitor_rule_evaluation_duration_seconds_sum") / MetricValue(metrics, "monitor_rule_evaluation_duration_seconds_count");

            var promAlerts = await PromAlertsAsync(http, promBase);
            var monAlerts = await MonitorAlertsAsync(http, $"http://127.0.0.1:{monitorPort}");
            int both = promAlerts.Intersect(monAlerts).Count();

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                | | Prometheus | Monitor | Monitor ÷ Prometheus |
                |---|---|---|---|
                | CPU over {seconds:0} s | {promCores:0.000} cores | {monCores:0.000} cores | {monCores / promCores:0.00} |
                | resident memory, median of {promRss.Count} samples | {promMem / 1048576:0} MiB | {monMem / 1048576:0} MiB | {monMem / promMem:0.00} |
                | peak resident memory | {promPeak / 1048576:0} MiB | {monPeak / 1048576:0} MiB | {monPeak / promPeak:0.00} |
                | scrape, mean | {promScrape * 1000:0} ms (`scrape_duration_seconds`) | {monScrape * 1000:0} ms (`monitor_check_duration_seconds`, kind scrape) | {monScrape / promScrape:0.00} |
                | rule evaluation, mean | {promRules * 1000:0} ms (`prometheus_rule_group_duration_seconds`) | {monRules * 1000:0} ms (`monitor_rule_evaluation_duration_seconds`) | {monRules / promRules:0.00} |
                | firing alerts | {promAlerts.Count} | {monAlerts.Count} | {both} the same, key for key |
                """));
            return promAlerts.SetEquals(monAlerts) ? 0 : 1;
        }
        finally
        {
            prometheus.Kill();
            monitor.Kill();
            await prometheus.WaitForExitAsync();
            await monitor.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<WebApplication> ServeAsync(int port, byte[] a, byte[] b)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapGet("/metrics", async (HttpContext context) =>
        {
            // Both scrapers read the same body within a 15 s window, so their values agree.
            long window = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() / 15;
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await context.Response.Body.WriteAsync(window % 2 == 0 ? a : b);
        });
        await app.StartAsync();
        return app;
    }

    private static async Task<double> PromValueAsync(HttpClient http, string baseUrl, string query)
    {
        string body = await http.GetStringAsync(new Uri($"{baseUrl}/api/v1/query?query={Uri.EscapeDataString(query)}"));
        using var document = JsonDocument.Parse(body);
        var result = document.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? double.NaN
            : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>The value of the first exposition line starting with <paramref name="prefix"/>.</summary>
    private static double MetricValue(string metrics, string prefix)
    {
        foreach (string line in metrics.Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return double.NaN;
    }

    private static async Task<HashSet<string>> PromAlertsAsync(HttpClient http, string baseUrl)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{baseUrl}/api/v1/alerts")));
        return Keys(document.RootElement.GetProperty("data").GetProperty("alerts"), l => l is "job" or "instance", rename: null);
    }

    private static async Task<HashSet<string>> MonitorAlertsAsync(HttpClient http, string baseUrl)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{baseUrl}/api/v1/alerts")));
        return Keys(document.RootElement.GetProperty("alerts"), l => l is "check", rename: "exported_check");
    }

    /// <summary>Each firing alert as its sorted labels, the ignored ones left out and <paramref name="rename"/> read as <c>check</c>.</summary>
    private static HashSet<string> Keys(JsonElement alerts, Func<string, bool> ignored, string? rename)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var alert in alerts.EnumerateArray())
        {
            if (alert.GetProperty("state").GetString() != "firing")
            {
                continue;
            }

            var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var label in alert.GetProperty("labels").EnumerateObject())
            {
                if (!ignored(label.Name))
                {
                    labels[label.Name == rename ? "check" : label.Name] = label.Value.GetString()!;
                }
            }

            keys.Add(string.Join(",", labels.Select(l => l.Key + "=" + l.Value)));
        }

        return keys;
    }
}
