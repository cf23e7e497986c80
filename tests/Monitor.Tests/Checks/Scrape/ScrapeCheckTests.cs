using System.IO.Compression;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Monitor.Checks;
using Monitor.Checks.Scrape;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Scrape;

public sealed class ScrapeCheckTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private Uri _base = null!;

    public string Body { get; set; } = string.Empty;

    public string ContentType { get; set; } = "text/plain; version=0.0.4";

    public bool Gzip { get; set; }

    /// <summary>When set, served as is with Content-Encoding: gzip instead of <see cref="Body"/>.</summary>
    public byte[]? RawGzip { get; set; }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/metrics", async (HttpContext context) =>
        {
            context.Response.ContentType = ContentType;
            if (RawGzip is not null)
            {
                context.Response.Headers.ContentEncoding = "gzip";
                await context.Response.Body.WriteAsync(RawGzip);
                return;
            }

            byte[] bytes = Encoding.UTF8.GetBytes(Body);
            if (Gzip)
            {
                using var buffer = new MemoryStream();
                await using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
                {
                    await gzip.WriteAsync(bytes);
                }

                bytes = buffer.ToArray();
                context.Response.Headers.ContentEncoding = "gzip";
            }

            await context.Response.Body.WriteAsync(bytes);
        });
        await _app.StartAsync();
        _base = new Uri(_app.Urls.First());
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private ScrapeCheck Check(SeriesStore store, ScrapeCheckOptions? options = null) => new(
        new CheckOptions { Name = "exp", Kind = ScrapeCheck.Kind, Settings = options ?? new ScrapeCheckOptions { Url = new Uri(_base, "/metrics") }, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(5) },
        store,
        new SeriesScope(store, "exp", new Dictionary<string, string> { ["team"] = "gpu" }));

    [Fact]
    public async Task Run_ReexposesWithCheckLabels_MergesWithOwnFamilies_DropsVanishedSeries()
    {
        var store = new SeriesStore();
        store.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", []).Add(1);
        Body = "# HELP process_cpu_seconds_total CPU.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 7.5\n"
            + "# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-1\",check=\"theirs\"} 87\n"
            + "# TYPE rpc_seconds histogram\nrpc_seconds_bucket{le=\"0.5\"} 1\nrpc_seconds_bucket{le=\"+Inf\"} 2\nrpc_seconds_sum 0.7\nrpc_seconds_count 2\n";
        using var check = Check(store);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        string text = Exposition.Text(store);
        Assert.Equal(1, text.Split('\n').Count(l => l == "# TYPE process_cpu_seconds_total counter"));
        Assert.Contains("process_cpu_seconds_total 1\nprocess_cpu_seconds_total{check=\"exp\",team=\"gpu\"} 7.5\n", text);
        Assert.Contains("DCGM_FI_DEV_GPU_UTIL{check=\"exp\",team=\"gpu\",gpu=\"0\",UUID=\"GPU-1\",exported_check=\"theirs\"} 87", text);
        Assert.Contains("# TYPE rpc_seconds histogram\nrpc_seconds_bucket{check=\"exp\",team=\"gpu\",le=\"0.5\"} 1\nrpc_seconds_bucket{check=\"exp\",team=\"gpu\",le=\"+Inf\"} 2\nrpc_seconds_sum{check=\"exp\",team=\"gpu\"} 0.7\nrpc_seconds_count{check=\"exp\",team=\"gpu\"} 2\n", text);

        Body = "# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-1\",check=\"theirs\"} 12\n";
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        text = Exposition.Text(store);
        Assert.DoesNotContain("rpc_seconds", text);
        Assert.Contains("exported_check=\"theirs\"} 12", text);
        Assert.Contains("process_cpu_seconds_total 1\n", text);
        Assert.DoesNotContain("process_cpu_seconds_total{check=\"exp\"", text);
    }

    [Fact]
    public async Task Run_OpenMetricsGzipKeepDrop()
    {
        var store = new SeriesStore();
        ContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";
        Gzip = true;
        Body = "# TYPE jobs counter\njobs_total 5\n# TYPE go_goroutines gauge\ngo_goroutines 9\n# TYPE node_load1 gauge\nnode_load1 0.5\n# EOF\n";
        using var check = Check(store, new ScrapeCheckOptions
        {
            Url = new Uri(_base, "/metrics"),
            Keep = new System.Text.RegularExpressions.Regex("^(?:jobs_total|go_.*|node_.*)$"),
            Drop = new System.Text.RegularExpressions.Regex("^(?:go_.*)$"),
        });
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        var s = Exposition.Samples(store);
        Assert.Equal("5", s["jobs_total{check=\"exp\",team=\"gpu\"}"]);
        Assert.Equal("0.5", s["node_load1{check=\"exp\",team=\"gpu\"}"]);
        Assert.DoesNotContain("go_goroutines{check=\"exp\",team=\"gpu\"}", s.Keys);
        Assert.Equal("2", s["monitor_scrape_samples{check=\"exp\",team=\"gpu\"}"]);
    }

    [Fact]
    public async Task Run_TypeConflictAndMalformedInput_AreClearFailures()
    {
        var store = new SeriesStore();
        store.Gauge("process_cpu_seconds_total", "Own, as a gauge for this test.", []).Set(1);
        Body = "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 7.5\n# TYPE ok gauge\nok 1\n";
        using var check = Check(store);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Conflict, result.Reason);
        Assert.Contains("process_cpu_seconds_total is a counter there and a gauge here", result.Error);
        Assert.Contains("ok{check=\"exp\",team=\"gpu\"} 1", Exposition.Text(store));

        Body = "ok{broken 1\n";
        result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Parse, result.Reason);
        Assert.Contains("text 0.0.4 from", result.Error);
        Assert.Contains("line 1, column", result.Error);
    }
    [Fact]
    public async Task Run_ScrapedLabelsCollidingWithCheckLabels_AreRenamedUniquelyLikePrometheus()
    {
        // The target exposes check, exported_check, exported_exported_check and team (a check label too): Prometheus'
        // honor_labels: false keeps the target's (here: the check's) labels and prefixes exported_ until the name is
        // free, so exported_check takes the third exported_ prefix and team its first.
        var store = new SeriesStore();
        Body = "# TYPE g gauge\n"
            + "g{check=\"c1\",exported_check=\"c2\",exported_exported_check=\"c3\",team=\"t1\",exported_team=\"t2\",zone=\"z\"} 1\n"
            + "g{check=\"\",exported_check=\"only\"} 2\n";
        using var check = Check(store);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);

        foreach (var format in new[] { ExpositionFormat.Text004, ExpositionFormat.OpenMetrics100 })
        {
            // Monitor's own output read back by the strict parser (a label name twice is an error there).
            string text = Exposition.Text(store, format);
            var parsed = ExpositionParser.Parse(text, format == ExpositionFormat.OpenMetrics100).Single(f => f.Name == "g");
            Assert.Equal(2, parsed.Samples.Count);
            var first = parsed.Samples.Single(s => s.Value == 1).Labels.ToDictionary(l => l.Name, l => l.Value);
            Assert.Equal(
                new Dictionary<string, string>
                {
                    ["check"] = "exp",
                    ["team"] = "gpu",
                    ["exported_check"] = "c2",
                    ["exported_exported_check"] = "c3",
                    ["exported_exported_exported_check"] = "c1",
                    ["exported_team"] = "t2",
                    ["exported_exported_team"] = "t1",
                    ["zone"] = "z",
                },
                first);

            // An empty check="" is no label to Prometheus: it is dropped, not renamed onto exported_check.
            var second = parsed.Samples.Single(s => s.Value == 2).Labels.ToDictionary(l => l.Name, l => l.Value);
            Assert.Equal(new Dictionary<string, string> { ["check"] = "exp", ["team"] = "gpu", ["exported_check"] = "only" }, second);
        }
    }

    [Fact]
    public async Task Run_KeepRegexThatRunsOutOfTime_FailsTheScrapeWithItsReason()
    {
        // Only a pattern the linear engine cannot run (here a lookahead) backtracks, and then with a time limit.
        var store = new SeriesStore();
        Body = "# TYPE " + new string('a', 5000) + "c gauge\n" + new string('a', 5000) + "c 1\n";
        using var check = Check(store, new ScrapeCheckOptions { Url = new Uri(_base, "/metrics"), Keep = SafeRegex.Anchored("(?=a)(a|aa)+b") });
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.RegexTimeout, result.Reason);
        Assert.Contains("keep/drop regex", result.Error);
    }

    [Fact]
    public async Task Run_GzipBombOverBodySizeLimit_FailsWithoutReadingItAll()
    {
        // 256 MiB of one repeated line, gzipped to a few hundred KiB: only body_size_limit of it is ever decompressed.
        using (var buffer = new MemoryStream())
        {
            await using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            {
                byte[] line = Encoding.UTF8.GetBytes("# TYPE a gauge\n" + new string('#', 1 << 20) + "\n");
                for (int i = 0; i < 256; i++)
                {
                    await gzip.WriteAsync(line);
                }
            }

            RawGzip = buffer.ToArray();
        }

        var store = new SeriesStore();
        using var check = Check(store, new ScrapeCheckOptions { Url = new Uri(_base, "/metrics"), BodySizeLimit = 4 << 20 });
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.BodySizeLimit, result.Reason);
        Assert.Contains("body larger than body_size_limit 4MiB", result.Error);
    }

    [Fact]
    public async Task Run_MoreSamplesThanSampleLimit_FailsAndDropsAllOfThem()
    {
        var store = new SeriesStore();
        using var check = Check(store, new ScrapeCheckOptions { Url = new Uri(_base, "/metrics"), SampleLimit = 2 });
        Body = "# TYPE a gauge\na 1\n# TYPE b gauge\nb{x=\"1\"} 2\n";
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Assert.Contains("a{check=\"exp\",team=\"gpu\"} 1", Exposition.Text(store));

        Body = "# TYPE a gauge\na 1\n# TYPE b gauge\nb{x=\"1\"} 2\nb{x=\"2\"} 3\n";
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.SampleLimit, result.Reason);
        Assert.Contains("exposed 3 samples, more than sample_limit 2", result.Error);
        var text = Exposition.Text(store);
        Assert.DoesNotContain("a{check=", text);
        Assert.DoesNotContain("b{check=", text);
    }

    [Fact]
    public void Parse_LineLongerThanTheCap_IsAParseError()
    {
        string text = "# TYPE a gauge\na{x=\"" + new string('v', ExpositionParser.MaxLineLength) + "\"} 1\n";
        var e = Assert.Throws<ExpositionParseException>(() => ExpositionParser.Parse(text, openMetrics: false));
        Assert.Contains("line longer than", e.Message);
    }

    [Fact]
    public void Options_BodySizeLimitAndSampleLimit_AreRead()
    {
        var result = Monitor.Hosting.MonitorConfig.Parse(
            "checks:\n  - name: s\n    scrape: { url: \"http://127.0.0.1:1/metrics\", body_size_limit: 10MB, sample_limit: 5000 }\n"
            + "  - name: t\n    scrape: { url: \"http://127.0.0.1:1/metrics\", body_size_limit: lots }\n",
            "monitor.yaml",
            _ => null,
            p => throw new FileNotFoundException(p));
        Assert.Equal(["monitor.yaml:5:67: checks[1].scrape.body_size_limit: invalid size \"lots\" (use e.g. 512KiB, 16MiB, 1GiB)"], result.Errors.Select(e => e.ToString()));
        var ok = Monitor.Hosting.MonitorConfig.Parse(
            "checks:\n  - name: s\n    scrape: { url: \"http://127.0.0.1:1/metrics\", body_size_limit: 10MB, sample_limit: 5000 }\n",
            "monitor.yaml",
            _ => null,
            p => throw new FileNotFoundException(p)).Options!.Checks[0].SettingsOf<ScrapeCheckOptions>();
        Assert.Equal(10L << 20, ok.BodySizeLimit);
        Assert.Equal(5000, ok.SampleLimit);
    }

    [Fact]
    public void CheckResult_LongErrors_AreTruncated()
    {
        var result = CheckResult.Fail(FailureReasons.Parse, new string('e', 5000));
        Assert.Equal(new string('e', CheckResult.MaxErrorLength) + "… (3976 more characters)", result.Error);
        Assert.Equal("short", CheckResult.Fail(FailureReasons.Parse, "short").Error);
        var details = (CheckResult.Ok with { Details = ["line", new string('l', 2000)] }).Details;
        Assert.Equal(["line", new string('l', CheckResult.MaxErrorLength) + "… (976 more characters)"], details);
    }
}
