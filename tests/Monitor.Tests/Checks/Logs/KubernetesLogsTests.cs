using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Monitor.Checks;
using Monitor.Checks.Logs;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.GoCompat;
using Monitor.Metrics;
using Monitor.Tests.Checks.Kubernetes;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Logs;

/// <summary>
/// The pods half of the logs check against the Kubernetes API stand-in, whose pod log endpoint answers as the
/// API server does (RFC3339Nano timestamps, sinceTime at second resolution, limitBytes cutting mid-line), on a
/// fake clock: the check's first run is at <see cref="Now"/>.
/// </summary>
public sealed class KubernetesLogsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 1, 0, 30, TimeSpan.Zero);
    private static readonly long NowNanos = Now.ToUnixTimeMilliseconds() * 1_000_000;
    private static readonly Dictionary<string, string> Api = new() { ["app"] = "api" };

    private readonly string _dir = Directory.CreateTempSubdirectory("monitor-plogs-").FullName;
    private readonly FakeTimeProvider _time = new(Now);
    private KubeApiStandIn _api = null!;
    private string _kubeconfig = null!;

    public async Task InitializeAsync()
    {
        _api = await KubeApiStandIn.StartAsync();
        string token = Path.Combine(_dir, "token");
        await File.WriteAllTextAsync(token, "token-1\n");
        _kubeconfig = _api.WriteKubeconfig(_dir, token);
        _api.AddPod("web", "api-1", "uid-1", Api, "app", "sidecar");
        _api.AddPod("web", "api-2", "uid-2", Api, "app");
        _api.AddPod("web", "db-1", "uid-3", new Dictionary<string, string> { ["app"] = "db" }, "postgres");
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static long At(double seconds) => NowNanos + (long)(seconds * 1_000_000_000);

    private (LogsCheck Check, SeriesStore Store) Check(long maxBytesPerRun = LogsCheckOptions.DefaultMaxBytesPerRun, string? container = null)
    {
        var store = new SeriesStore();
        var logs = new LogsCheckOptions
        {
            Kubernetes = new KubernetesLogsSource(_kubeconfig, "web", "app=api", container),
            Patterns = [new LogPattern("error", "ERROR", GoRegex.Compile("ERROR", out _)!.Regex)],
            LastLines = 3,
            StateFile = Path.Combine(_dir, "state", "pods.offsets"),
            MaxBytesPerRun = maxBytesPerRun,
        };
        var options = new CheckOptions { Name = "pods", Kind = LogsCheck.Kind, Settings = logs, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(10) };
        return (new LogsCheck(options, new SeriesScope(store, "pods", new Dictionary<string, string>()), _time), store);
    }

    /// <summary>The value of the one sample of <paramref name="name"/> with these labels; NaN when there is none.</summary>
    private static double Value(SeriesStore store, string name, string pod, string container, bool pattern = false)
    {
        string[] wanted = ["check=\"pods\"", "namespace=\"web\"", $"pod=\"{pod}\"", $"container=\"{container}\"", .. pattern ? new[] { "pattern=\"error\"" } : []];
        var found = Exposition.Samples(store).Where(kv => kv.Key.StartsWith(name + "{", StringComparison.Ordinal) && wanted.All(w => kv.Key.Contains(w, StringComparison.Ordinal))).ToList();
        return found.Count == 0 ? double.NaN : double.Parse(found.Single().Value, CultureInfo.InvariantCulture);
    }

    private static double Read(SeriesStore store, string pod, string container = "app") => Value(store, "monitor_log_read_lines_total", pod, container);

    private static double Errors(SeriesStore store, string pod, string container = "app") => Value(store, "monitor_log_lines_total", pod, container, pattern: true);

    private static async Task<CheckResult> RunOk(LogsCheck check)
    {
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, $"{result.Reason}: {result.Error}");
        return result;
    }

    [Fact]
    public async Task FirstRun_CountsNoHistory_ThenEachPodAndContainer_OnlyTheSelectedPods()
    {
        _api.Log("api-1", "app", At(-20), "ERROR before the check");
        _api.Log("api-2", "app", At(-1), "ERROR before the check");
        var (check, store) = Check();
        using (check)
        {
            await RunOk(check);
            Assert.Equal(0, Read(store, "api-1"));
            Assert.Equal(0, Errors(store, "api-2"));

            _api.Log("api-1", "app", At(10.5), "GET / 200");
            _api.Log("api-1", "app", At(11.25), "ERROR db timeout");
            _api.Log("api-1", "sidecar", At(12), "ERROR proxy");
            _api.Log("api-2", "app", At(13.000000001), "ERROR disk full");
            _api.Log("db-1", "postgres", At(14), "ERROR not selected");
            _time.Advance(TimeSpan.FromSeconds(30));
            var result = await RunOk(check);

            Assert.Equal((2, 1), (Read(store, "api-1"), Errors(store, "api-1")));
            Assert.Equal((1, 1), (Read(store, "api-1", "sidecar"), Errors(store, "api-1", "sidecar")));
            Assert.Equal((1, 1), (Read(store, "api-2"), Errors(store, "api-2")));
            Assert.True(double.IsNaN(Read(store, "db-1", "postgres")));
            Assert.Contains("web/api-2/app: ERROR disk full", result.Details);
            Assert.Contains("web/api-1/app: ERROR db timeout", result.Details);
            Assert.Contains(_api.Requests, r => r.StartsWith("/api/v1/namespaces/web/pods?", StringComparison.Ordinal) && r.Contains("labelSelector=app%3Dapi", StringComparison.Ordinal));
            Assert.Contains(_api.Requests, r => r.StartsWith("/api/v1/namespaces/web/pods/api-1/log?container=sidecar&timestamps=true&sinceTime=2026-12-02T01%3A00%3A30Z", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AlertTemplates_ReachTheLinesThatFiredThem_ThroughLogLines()
    {
        Monitor.Templating.PrometheusFunctions.LogLines = RecentLogLines.Matching; // as the host sets it
        var (check, _) = Check();
        using (check)
        {
            await RunOk(check);
            _api.Log("api-1", "app", At(1), "ERROR db timeout");
            _api.Log("api-1", "app", At(2), "GET / 200");
            _api.Log("api-2", "app", At(3), "ERROR disk full");
            _api.Log("api-1", "sidecar", At(4), "ERROR proxy");
            await RunOk(check);

            // The labels of an alert on monitor_log_lines_total{check="pods",pattern="error",...}.
            var alert = new Dictionary<string, string> { ["alertname"] = "ErrorLines", ["check"] = "pods", ["namespace"] = "web", ["pod"] = "api-1", ["container"] = "app", ["pattern"] = "error" };
            const string Template = "{{ range logLines $labels }}{{ . }}|{{ end }}";
            Assert.Equal("ERROR db timeout|", Monitor.Templating.TemplateExpander.Expand(Template, alert, 1, new Dictionary<string, string>()));

            // An alert aggregated over pods (sum by (check, pattern)) gets every pod's lines, in the order read.
            var summed = new Dictionary<string, string> { ["check"] = "pods", ["pattern"] = "error" };
            Assert.Equal(["ERROR db timeout", "ERROR disk full", "ERROR proxy"], Monitor.Templating.TemplateExpander.Expand(Template, summed, 1, new Dictionary<string, string>()).Split('|', StringSplitOptions.RemoveEmptyEntries).Order());
            Assert.Equal("none", Monitor.Templating.TemplateExpander.Expand("{{ range logLines $labels }}{{ . }}{{ else }}none{{ end }}", new Dictionary<string, string> { ["check"] = "other" }, 1, new Dictionary<string, string>()));
        }

        // A disposed check (removed by a reload) no longer answers.
        Assert.Equal("0", Monitor.Templating.TemplateExpander.Expand("{{ len (logLines $labels) }}", new Dictionary<string, string> { ["check"] = "pods" }, 1, new Dictionary<string, string>()));
    }

    [Fact]
    public async Task NamedContainer_OnlyThatOneIsRead()
    {
        var (check, store) = Check(container: "sidecar");
        using (check)
        {
            await RunOk(check);
            _api.Log("api-1", "app", At(1), "ERROR app");
            _api.Log("api-1", "sidecar", At(1), "ERROR sidecar");
            await RunOk(check);
            Assert.Equal(1, Errors(store, "api-1", "sidecar"));
            Assert.True(double.IsNaN(Errors(store, "api-1")));
            Assert.DoesNotContain(_api.Requests, r => r.Contains("container=app", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task LinesOfTheSameTimestamp_AreCountedOnce_AsTheySecondComesAgain()
    {
        var (check, store) = Check();
        using (check)
        {
            await RunOk(check);
            _api.Log("api-1", "app", At(5.5), "ERROR one");
            _api.Log("api-1", "app", At(5.5), "ERROR two");
            await RunOk(check);
            Assert.Equal(2, Errors(store, "api-1"));

            // The same second (sinceTime brings 5.5 back) and the very same nanosecond once more.
            _api.Log("api-1", "app", At(5.5), "ERROR three");
            _api.Log("api-1", "app", At(5.75), "ERROR four");
            await RunOk(check);
            Assert.Equal(4, Errors(store, "api-1"));
            await RunOk(check);
            Assert.Equal(4, Errors(store, "api-1"));
        }
    }

    [Fact]
    public async Task PodThatAppearsLater_IsCountedFromItsStart()
    {
        var (check, store) = Check();
        using (check)
        {
            await RunOk(check);
            _api.AddPod("web", "api-3", "uid-4", Api, "app");
            _api.Log("api-3", "app", At(-3600), "ERROR at start, before the check's first run by the clock");
            _api.Log("api-3", "app", At(2), "ERROR later");
            await RunOk(check);
            Assert.Equal(2, Errors(store, "api-3"));
            Assert.Contains(_api.Requests, r => r.StartsWith("/api/v1/namespaces/web/pods/api-3/log?container=app&timestamps=true&limitBytes=", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task ContainerRestart_TheNewInstanceIsReadFromItsStart()
    {
        var (check, store) = Check();
        using (check)
        {
            await RunOk(check);
            _api.Log("api-2", "app", At(3), "ERROR before the crash");
            await RunOk(check);
            Assert.Equal(1, Errors(store, "api-2"));

            _api.Log("api-2", "app", At(3.5), "ERROR as it crashed, after the last run");
            _api.Restart("api-2", "app");
            _api.Log("api-2", "app", At(1), "ERROR on start (the clock of the new instance's node is behind)");
            _api.Log("api-2", "app", At(4), "ERROR again");
            await RunOk(check);
            Assert.Equal(4, Errors(store, "api-2"));
            Assert.Contains(_api.Requests, r => r.StartsWith("/api/v1/namespaces/web/pods/api-2/log?container=app&timestamps=true&previous=true&sinceTime=", StringComparison.Ordinal));
            Assert.Contains(_api.Requests, r => r.StartsWith("/api/v1/namespaces/web/pods/api-2/log?container=app&timestamps=true&limitBytes=", StringComparison.Ordinal));
            await RunOk(check);
            Assert.Equal(4, Errors(store, "api-2"));
            Assert.Equal(["uid-1/app/0", "uid-1/sidecar/0", "uid-2/app/1"], check.KubeCursors.Keys.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task GonePod_TakesItsSeriesAlong()
    {
        var (check, store) = Check();
        using (check)
        {
            await RunOk(check);
            Assert.Equal(0, Errors(store, "api-2"));
            _api.RemovePod("api-2");
            await RunOk(check);
            Assert.True(double.IsNaN(Errors(store, "api-2")));
            Assert.True(double.IsNaN(Read(store, "api-2")));
            Assert.Equal(0, Errors(store, "api-1"));
            Assert.DoesNotContain(check.KubeCursors.Keys, k => k.StartsWith("uid-2/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task CheckRestart_WithTheSameStateFile_NeitherCountsTwiceNorSkips()
    {
        var (first, firstStore) = Check();
        using (first)
        {
            await RunOk(first);
            _api.Log("api-1", "app", At(7.1), "ERROR a");
            _api.Log("api-1", "app", At(7.1), "ERROR b");
            await RunOk(first);
            Assert.Equal(2, Errors(firstStore, "api-1"));
        }

        // While Monitor is down: a line at the very timestamp of the last counted, a later one, and a new pod.
        _api.Log("api-1", "app", At(7.1), "ERROR c");
        _api.Log("api-1", "app", At(9), "ERROR d");
        _api.AddPod("web", "api-3", "uid-4", Api, "app");
        _api.Log("api-3", "app", At(8), "ERROR started while Monitor was down");
        _time.Advance(TimeSpan.FromMinutes(5));

        var (second, store) = Check();
        using (second)
        {
            await RunOk(second);
            Assert.Equal(2, Errors(store, "api-1"));
            Assert.Equal(1, Errors(store, "api-3"));
            Assert.Equal(0, Errors(store, "api-2"));
        }
    }

    [Fact]
    public async Task ByteCap_IsSharedAmongContainers_CutLogsAreReported_AndReadOnByLaterRuns()
    {
        // 3 containers share 48 KiB: 16 KiB each per run, whatever one of them writes (20 lines a second for 100 s here).
        var (check, store) = Check(maxBytesPerRun: 3 * 16 * 1024);
        using (check)
        {
            await RunOk(check);
            string filler = new('x', 90);
            for (int i = 0; i < 2000; i++)
            {
                _api.Log("api-1", "app", At(1 + (i * 0.05)), $"ERROR {i:D5} {filler}");
            }

            _api.Log("api-2", "app", At(1), "ERROR quiet pod");
            int runs = 0;
            long before = _api.LogBytesServed;
            var result = await RunOk(check);
            Assert.InRange(_api.LogBytesServed - before, 1, 3 * 16 * 1024);
            Assert.InRange(Errors(store, "api-1"), 1, 200);
            Assert.Equal(1, Errors(store, "api-2"));
            Assert.Contains(result.Details, d => d.StartsWith("web/api-1/app: cut at 16384 bytes this run", StringComparison.Ordinal));
            for (runs = 1; Errors(store, "api-1") < 2000 && runs < 50; runs++)
            {
                await RunOk(check);
            }

            Assert.Equal(2000, Errors(store, "api-1"));
            Assert.InRange(runs, 10, 49);
            result = await RunOk(check);
            Assert.Equal(2000, Errors(store, "api-1"));
            Assert.DoesNotContain(result.Details, d => d.Contains("cut at", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task OneSecondLargerThanTheShare_IsSkippedAndReported_SoRunsGetPastIt()
    {
        var (check, store) = Check(maxBytesPerRun: 3 * 16 * 1024);
        using (check)
        {
            await RunOk(check);
            string filler = new('x', 90);
            for (int i = 0; i < 1000; i++)
            {
                _api.Log("api-1", "app", At(1.0001 + (i * 0.0001)), $"ERROR {i:D5} {filler}");
            }

            _api.Log("api-1", "app", At(2.5), "ERROR next second");
            await RunOk(check);
            double first = Errors(store, "api-1");
            Assert.InRange(first, 1, 200);
            var result = await RunOk(check);
            Assert.Contains(result.Details, d => d.Contains("the rest of that second was skipped", StringComparison.Ordinal));
            await RunOk(check);
            Assert.Equal(first + 1, Errors(store, "api-1"));
            Assert.Equal("web/api-1/app: ERROR next second", check.LastLines[^1]);
        }
    }

    private static ConfigLoadResult Parse(string logs) =>
        MonitorConfig.Parse($"checks:\n  - name: pods\n    logs: {logs}\n", "monitor.yaml", _ => null, p => throw new FileNotFoundException(p));

    [Theory]
    [InlineData("{ kubernetes: { namespace: web }, patterns: { error: ERROR } }", "checks[0].logs.kubernetes.selector: required")]
    [InlineData("{ kubernetes: { namespace: web, selector: app=api }, docker: { container: web }, patterns: { error: ERROR } }", "checks[0].logs: path, docker and kubernetes exclude each other")]
    [InlineData("{ kubernetes: { namespace: '', selector: app=api }, patterns: { error: ERROR } }", "checks[0].logs.kubernetes.namespace: must not be empty")]
    [InlineData("{ kubernetes: { namespace: web, selector: app=api, follow: true }, patterns: { error: ERROR } }", "checks[0].logs.kubernetes: unknown key \"follow\"")]
    public void Config_Invalid_NamesTheField(string logs, string expected)
    {
        var errors = Parse(logs).Errors.Select(e => e.ToString()).ToList();
        Assert.True(errors.Any(e => e.Contains(expected, StringComparison.Ordinal)), string.Join("\n", errors));
    }

    [Fact]
    public void Config_ReadsTheSource()
    {
        var result = Parse("{ kubernetes: { kubeconfig: /etc/kube/config, namespace: web, selector: 'app=api,tier=web', container: app }, patterns: { error: ERROR } }");
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var logs = result.Options!.Checks[0].SettingsOf<LogsCheckOptions>();
        Assert.Equal(new KubernetesLogsSource("/etc/kube/config", "web", "app=api,tier=web", "app"), logs.Kubernetes);
        Assert.Null(logs.Path);
        Assert.Equal("kubernetes://web/app=api,tier=web/app (/etc/kube/config)", logs.Target);
    }
}
