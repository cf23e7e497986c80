using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Metrics;

/// <summary>
/// Monitor's /metrics against the real consumers: promtool's linter on the text format, and a real
/// Prometheus 2.42 scraping it both as OpenMetrics (what Prometheus asks for) and forced to text 0.0.4.
/// </summary>
public sealed class PrometheusScrapeTests : IAsyncLifetime
{
    private TargetServer _targets = null!;
    private MonitorProcess _monitor = null!;

    public async Task InitializeAsync()
    {
        _targets = await TargetServer.StartAsync();
        _monitor = await MonitorProcess.StartAsync($$"""
            defaults: { interval: 2s, timeout: 1s }
            checks:
              - name: up
                http: { url: "{{_targets.Url("/ok")}}", expect: { body_json: { status: healthy } } }
                labels: { service: web, team: "platform \"core\"" }
              - name: error500
                http: { url: "{{_targets.Url("/fail")}}" }
              - name: hanging
                http: { url: "{{_targets.Url("/hang")}}" }
              - name: unhealthy
                http: { url: "{{_targets.Url("/unhealthy")}}", expect: { body_json: { status: healthy } } }
              - name: port
                tcp: { address: "{{_targets.BaseUri.Authority}}" }
              - name: disk
                disk: {}
            """);
        await Eventually.HoldsAsync(
            async () => (await _monitor.GetStringAsync("/api/v1/checks")).Split("\"runs\":0").Length == 1,
            TimeSpan.FromSeconds(30),
            () => "every check should have run once");
    }

    public async Task DisposeAsync()
    {
        await _monitor.DisposeAsync();
        await _targets.DisposeAsync();
    }

    [Fact]
    public async Task Promtool_CheckMetrics_PassesOnTextFormat()
    {
        string text = await _monitor.GetStringAsync("/metrics", "text/plain;version=0.0.4");
        Assert.Contains("probe_success{check=\"up\",service=\"web\",team=\"platform \\\"core\\\"\"} 1", text);
        var (code, output) = await ExternalProcess.RunAsync(Tools.Promtool, ["check", "metrics"], stdin: text);
        Assert.True(code == 0 && output.Trim().Length == 0, $"promtool check metrics exit {code}:\n{output}");
    }

    [Fact]
    public async Task Metrics_OpenMetricsWhenPreferred_EndsWithEof()
    {
        string om = await _monitor.GetStringAsync("/metrics", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
        Assert.EndsWith("# EOF\n", om);
        Assert.Contains("# TYPE monitor_check_runs counter\n", om);
        Assert.Contains("# TYPE process_cpu_seconds counter\n", om);
    }

    [Fact]
    public async Task Prometheus_ScrapesBothFormats_WithTheSameSamples()
    {
        await using var proxy = await RecordingProxy.StartAsync(_monitor.BaseUri);
        using var prometheus = await PrometheusServer.StartAsync($$"""
              - job_name: monitor-om
                metrics_path: /passthrough/metrics
                static_configs: [ { targets: ["127.0.0.1:{{proxy.Port}}"] } ]
              - job_name: monitor-text
                metrics_path: /text/metrics
                static_configs: [ { targets: ["127.0.0.1:{{proxy.Port}}"] } ]
            """);

        var expected = new Dictionary<string, string> { ["up"] = "1", ["error500"] = "0", ["hanging"] = "0", ["unhealthy"] = "0", ["port"] = "1", ["disk"] = "1" };
        foreach (string job in new[] { "monitor-om", "monitor-text" })
        {
            await Eventually.HoldsAsync(
                async () =>
                {
                    var up = await prometheus.QueryAsync($"up{{job=\"{job}\"}}");
                    var success = await prometheus.QueryAsync($"probe_success{{job=\"{job}\"}} or on(check) (monitor_check_runs_total{{job=\"{job}\",check=\"disk\",result=\"success\"}} > bool 0)");
                    var byCheck = success.ToDictionary(r => r.Labels["check"], r => r.Value);
                    return up.Count == 1 && up[0].Value == "1" && expected.All(e => byCheck.GetValueOrDefault(e.Key) == e.Value);
                },
                TimeSpan.FromSeconds(60),
                () => $"job {job}: expected probe_success {string.Join(", ", expected)}\nPrometheus:\n{prometheus.Output}\nMonitor:\n{_monitor.Output}");
        }

        // Prometheus asked for OpenMetrics first and got it; the text job got text 0.0.4.
        var exchanges = proxy.Exchanges.ToList();
        Assert.Contains(exchanges, e => e.Route == "passthrough" && e.Accept.StartsWith("application/openmetrics-text", StringComparison.Ordinal) && e.ContentType.StartsWith("application/openmetrics-text; version=1.0.0", StringComparison.Ordinal));
        Assert.Contains(exchanges, e => e.Route == "text" && e.ContentType.StartsWith("text/plain; version=0.0.4", StringComparison.Ordinal));
        Assert.DoesNotContain(exchanges, e => e.Route == "passthrough" && !e.ContentType.StartsWith("application/openmetrics-text", StringComparison.Ordinal));

        // The same series, label for label, whichever format was scraped.
        var om = await prometheus.QueryAsync("{job=\"monitor-om\"}");
        var text = await prometheus.QueryAsync("{job=\"monitor-text\"}");
        static string Key(Dictionary<string, string> labels) =>
            string.Join(",", labels.Where(l => l.Key is not ("job" or "instance")).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
        var omKeys = om.Select(r => Key(r.Labels)).Where(k => !k.Contains("__name__=scrape_", StringComparison.Ordinal)).ToHashSet();
        var textKeys = text.Select(r => Key(r.Labels)).Where(k => !k.Contains("__name__=scrape_", StringComparison.Ordinal)).ToHashSet();
        Assert.True(omKeys.SetEquals(textKeys), $"only in OpenMetrics: {string.Join("; ", omKeys.Except(textKeys).Take(10))}\nonly in text: {string.Join("; ", textKeys.Except(omKeys).Take(10))}");
        Assert.Contains(omKeys, k => k.Contains("le=1.0", StringComparison.Ordinal));

        // Values that do not move between scrapes agree exactly.
        foreach (string metric in new[] { "probe_success", "probe_http_status_code", "node_filesystem_size_bytes", "monitor_build_info" })
        {
            var a = (await prometheus.QueryAsync($"{metric}{{job=\"monitor-om\"}}")).ToDictionary(r => Key(r.Labels), r => r.Value);
            var b = (await prometheus.QueryAsync($"{metric}{{job=\"monitor-text\"}}")).ToDictionary(r => Key(r.Labels), r => r.Value);
            Assert.NotEmpty(a);
            Assert.Equal(a.OrderBy(x => x.Key), b.OrderBy(x => x.Key));
        }
    }
}
