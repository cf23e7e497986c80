using Microsoft.Extensions.Time.Testing;
using Monitor.Checks.Kubernetes;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Kubernetes;

/// <summary>
/// Warning events as <c>monitor_kubernetes_events_total</c> against the API stand-in's EventList fixture (a crash
/// loop's BackOff, a FailedScheduling series, an HPA that cannot read metrics, a liveness probe failing, and a
/// Normal Killing that is not counted).
/// </summary>
public sealed class KubeEventsTests : IAsyncLifetime
{
    private const string BackOff = "e1a1a1a1-0000-4000-8000-000000000001";
    private const string FailedScheduling = "e1a1a1a1-0000-4000-8000-000000000002";
    private const string BackOffSeries = "monitor_kubernetes_events_total{check=\"cluster\",namespace=\"shop\",kind=\"Pod\",reason=\"BackOff\",type=\"Warning\"}";
    private const string FailedSchedulingSeries = "monitor_kubernetes_events_total{check=\"cluster\",namespace=\"shop\",kind=\"Pod\",reason=\"FailedScheduling\",type=\"Warning\"}";

    private KubeApiStandIn _api = null!;
    private string _dir = null!;
    private string _tokenFile = null!;

    public async Task InitializeAsync()
    {
        _api = await KubeApiStandIn.StartAsync();
        _dir = Path.Combine(Path.GetTempPath(), "kube-events-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        _tokenFile = Path.Combine(_dir, "token");
        await File.WriteAllTextAsync(_tokenFile, "token-1\n");
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private (KubernetesCheck Check, SeriesStore Store, FakeTimeProvider Time) Check(SeriesStore? store = null, params string[] namespaces)
    {
        store ??= new SeriesStore();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        var options = new CheckOptions
        {
            Name = "cluster",
            Kind = KubernetesCheck.Kind,
            Settings = new KubernetesCheckOptions { Kubeconfig = _api.WriteKubeconfig(_dir, _tokenFile), Namespaces = namespaces, Usage = false },
            Interval = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(10),
        };
        return (new KubernetesCheck(options, new SeriesScope(store, "cluster", new Dictionary<string, string>()), time), store, time);
    }

    private static async Task<Monitor.Checks.CheckResult> RunAsync(KubernetesCheck check)
    {
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        return result;
    }

    private List<string> EventRequests()
    {
        lock (_api.Requests)
        {
            return [.. _api.Requests.Where(r => r.Contains("/events", StringComparison.Ordinal))];
        }
    }

    [Fact]
    public async Task FirstRun_IsTheBaseline_CountsNothing_NamesTheLatestInDetails()
    {
        var (check, store, _) = Check();
        using var _ = check;
        var result = await RunAsync(check);

        var s = Exposition.Samples(store);
        var events = s.Where(kv => kv.Key.StartsWith(KubeEvents.Family, StringComparison.Ordinal)).ToDictionary();
        Assert.Equal(
            [
                BackOffSeries,
                FailedSchedulingSeries,
                "monitor_kubernetes_events_total{check=\"cluster\",namespace=\"shop\",kind=\"HorizontalPodAutoscaler\",reason=\"FailedGetResourceMetric\",type=\"Warning\"}",
                "monitor_kubernetes_events_total{check=\"cluster\",namespace=\"ml\",kind=\"Pod\",reason=\"Unhealthy\",type=\"Warning\"}",
            ],
            events.Keys.OrderBy(k => k == BackOffSeries ? 0 : k == FailedSchedulingSeries ? 1 : k.Contains("Horizontal", StringComparison.Ordinal) ? 2 : 3));
        Assert.All(events.Values, v => Assert.Equal("0", v));
        Assert.DoesNotContain(s.Keys, k => k.Contains("reason=\"Killing\"", StringComparison.Ordinal)); // a Normal event
        Assert.Contains("# TYPE monitor_kubernetes_events_total counter", Exposition.Text(store));

        // Latest first; the object's name is in the details, not in a label.
        Assert.Equal(
            [
                "shop/Pod/api-7d9f8b6c5d-x2k4p: BackOff: Back-off restarting failed container api in pod api-7d9f8b6c5d-x2k4p_shop(5f0c2e1a-9b7d-4c3e-8a1f-2d6b4e8c0a93)",
                "shop/Pod/api-7d9f8b6c5d-q8zvn: FailedScheduling: 0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
                "shop/HorizontalPodAutoscaler/api: FailedGetResourceMetric: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API",
                "ml/Pod/trainer-0: Unhealthy: Liveness probe failed: Get \"http://10.244.1.5:8080/healthz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            ],
            result.Details);
        Assert.DoesNotContain(s.Keys, k => k.StartsWith(KubeEvents.Family, StringComparison.Ordinal) && k.Contains("x2k4p", StringComparison.Ordinal));

        // Core v1, Warning only, cluster-wide without namespaces.
        Assert.Equal(["/api/v1/events?limit=500&fieldSelector=type%3DWarning"], EventRequests());
    }

    [Fact]
    public async Task DailyReport_ShowsTheCountsSinceStart_AndTheLatestEvents()
    {
        var store = new SeriesStore();
        KubernetesCheck? made = null;
        var scheduler = new Monitor.Scheduling.CheckScheduler(store, new MadeBy((options, scope) => made = Check(store).Check), new SelfMetrics(store), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Monitor.Scheduling.CheckScheduler>.Instance);
        using var _ = scheduler;
        scheduler.Apply(new MonitorOptions { SourceFile = "monitor.yaml", Checks = [new CheckOptions { Name = "cluster", Kind = KubernetesCheck.Kind, Settings = new KubernetesCheckOptions(), Interval = TimeSpan.FromHours(1), Timeout = TimeSpan.FromSeconds(10) }] });
        Assert.NotNull(made);
        await RunAsync(made);
        _api.Repeat(BackOff, 3);
        _api.Repeat(FailedScheduling, 1);
        var result = await RunAsync(made);
        Assert.Equal(result.Details, made.LatestEvents);

        var facts = new Monitor.Hosting.StatusReadModel(scheduler, store).Facts();
        string report = Monitor.Delivery.Reports.ReportBuilder.Build("morning", new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero), TimeZoneInfo.Utc, facts, []);
        int counts = report.IndexOf("Kubernetes Warning events since start:\n  cluster shop Pod BackOff: 3\n  cluster shop Pod FailedScheduling: 1\n", StringComparison.Ordinal);
        Assert.True(counts > 0, report);
        Assert.Contains("Latest Warning events:\n  cluster: shop/Pod/api-7d9f8b6c5d-x2k4p: BackOff: Back-off restarting failed container", report, StringComparison.Ordinal);
    }

    private sealed class MadeBy(Func<CheckOptions, SeriesScope, Monitor.Checks.ICheck> make) : Monitor.Checks.ICheckFactory
    {
        public Monitor.Checks.ICheck Create(CheckOptions options, SeriesScope scope, Monitor.Checks.IDiscoveredChecks discovered) => make(options, scope);
    }

    [Fact]
    public async Task Repetitions_AreCountedOnce_AcrossRuns_ListedSinceTheLastResourceVersion()
    {
        var (check, store, _) = Check();
        using var _ = check;
        await RunAsync(check);
        string baseline = _api.EventsResourceVersion;

        // The API server folds repetitions into the same object: count (core v1) and series.count (events.k8s.io) rise.
        _api.Repeat(BackOff, 3);
        _api.Repeat(FailedScheduling, 2);
        await RunAsync(check);
        var s = Exposition.Samples(store);
        Assert.Equal("3", s[BackOffSeries]);
        Assert.Equal("2", s[FailedSchedulingSeries]);

        // Nothing new: nothing more, however often the same events are listed.
        string second = _api.EventsResourceVersion;
        await RunAsync(check);
        await RunAsync(check);
        s = Exposition.Samples(store);
        Assert.Equal("3", s[BackOffSeries]);
        Assert.Equal("2", s[FailedSchedulingSeries]);

        _api.Repeat(BackOff, 1);
        await RunAsync(check);
        Assert.Equal("4", Exposition.Samples(store)[BackOffSeries]);

        var requests = EventRequests();
        Assert.Equal("/api/v1/events?limit=500&fieldSelector=type%3DWarning", requests[0]);
        Assert.Equal($"/api/v1/events?limit=500&fieldSelector=type%3DWarning&resourceVersion={baseline}&resourceVersionMatch=NotOlderThan", requests[1]);
        Assert.Equal($"/api/v1/events?limit=500&fieldSelector=type%3DWarning&resourceVersion={second}&resourceVersionMatch=NotOlderThan", requests[2]);
    }

    [Fact]
    public async Task NewEventAfterTheBaseline_CountsAllItsOccurrences_ExpiredOnesAreForgotten()
    {
        var (check, store, _) = Check();
        using var _ = check;
        var first = await RunAsync(check);
        Assert.Equal(4, check.EventsRemembered);

        // Another pod of the deployment starts crash-looping: a new event object, already at count 2.
        _api.AddEvent(BackOff, "e1a1a1a1-0000-4000-8000-0000000000aa", "api-7d9f8b6c5d-zz9rt", count: 2);
        var result = await RunAsync(check);
        Assert.Equal("2", Exposition.Samples(store)[BackOffSeries]);
        Assert.Equal(5, check.EventsRemembered);
        Assert.StartsWith("shop/Pod/api-7d9f8b6c5d-zz9rt: BackOff: ", result.Details[0]);

        // The API server drops events an hour after their last occurrence; their uids are dropped too, the counter stays.
        _api.ExpireEvent(BackOff);
        await RunAsync(check);
        Assert.Equal(4, check.EventsRemembered);
        Assert.Equal("2", Exposition.Samples(store)[BackOffSeries]);
        Assert.Equal(4, first.Details.Count);
    }

    [Fact]
    public async Task ResourceVersionGone_ListsTheCurrentState_StillCountsOnce()
    {
        var (check, store, _) = Check();
        using var _ = check;
        await RunAsync(check);
        _api.EventsVersionGone = true;
        _api.Repeat(BackOff, 2);
        await RunAsync(check);
        await RunAsync(check);
        Assert.Equal("2", Exposition.Samples(store)[BackOffSeries]);
        var requests = EventRequests();
        Assert.Contains("resourceVersion=", requests[1], StringComparison.Ordinal);
        Assert.Equal("/api/v1/events?limit=500&fieldSelector=type%3DWarning", requests[2]);
    }

    [Fact]
    public async Task Restart_TakesTheCurrentCountsAsTheBaseline_OldEventsAreNotCountedAgain()
    {
        var (check, _, _) = Check();
        await RunAsync(check);
        _api.Repeat(BackOff, 5);
        check.Dispose();

        // A restarted Monitor (a new store, a new check) sees BackOff at 17 and counts none of it.
        var (restarted, store, _) = Check();
        using var _ = restarted;
        await RunAsync(restarted);
        Assert.Equal("0", Exposition.Samples(store)[BackOffSeries]);
        _api.Repeat(BackOff, 1);
        await RunAsync(restarted);
        Assert.Equal("1", Exposition.Samples(store)[BackOffSeries]);
    }

    [Fact]
    public async Task Namespaces_ListOnlyTheirEvents()
    {
        var (check, store, _) = Check(null, "ml");
        using var _ = check;
        var result = await RunAsync(check);
        var events = Exposition.Samples(store).Keys.Where(k => k.StartsWith(KubeEvents.Family, StringComparison.Ordinal)).ToList();
        Assert.Equal(["monitor_kubernetes_events_total{check=\"cluster\",namespace=\"ml\",kind=\"Pod\",reason=\"Unhealthy\",type=\"Warning\"}"], events);
        Assert.Equal(["/api/v1/namespaces/ml/events?limit=500&fieldSelector=type%3DWarning"], EventRequests());
        Assert.StartsWith("ml/Pod/trainer-0: Unhealthy: ", Assert.Single(result.Details));
    }

    [Fact]
    public async Task EventsOff_ListsNoEvents()
    {
        var settings = new KubernetesCheckOptions { Kubeconfig = _api.WriteKubeconfig(_dir, _tokenFile), Usage = false, Events = false };
        var options = new CheckOptions { Name = "cluster", Kind = KubernetesCheck.Kind, Settings = settings, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(10) };
        var store = new SeriesStore();
        using var check = new KubernetesCheck(options, new SeriesScope(store, "cluster", new Dictionary<string, string>()), TimeProvider.System);
        var result = await RunAsync(check);
        Assert.Empty(result.Details);
        Assert.Empty(EventRequests());
        Assert.DoesNotContain(Exposition.Samples(store).Keys, k => k.StartsWith(KubeEvents.Family, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EventsForbidden_NamesTheVerbAndResource()
    {
        _api.Forbidden.Add("events");
        var (check, _, _) = Check();
        using var _ = check;
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(Monitor.Checks.FailureReasons.Auth, result.Reason);
        Assert.Contains("may not \"list\" events", result.Error);
    }

    /// <summary>The shipped "Warning-event burst" rule fires, through the check and the rule engine, on a crash loop's BackOff events.</summary>
    [Fact]
    public async Task WarningEventBurstRule_FiresOnRepeatedBackOff()
    {
        var (check, store, time) = Check();
        using var _ = check;
        var sink = new Sink();
        var engine = new Monitor.Rules.Engine.RuleEngine(store, time, sink, Microsoft.Extensions.Logging.Abstractions.NullLogger<Monitor.Rules.Engine.RuleEngine>.Instance);
        var (groups, errors) = Monitor.Rules.RuleFiles.RuleFileLoader.Load(Repository.File("alerts/kubernetes.rules.yml"));
        Assert.Empty(errors);
        engine.Apply(new MonitorOptions { SourceFile = "t", EvaluationInterval = TimeSpan.FromMinutes(1) }, groups);
        for (int minute = 0; minute <= 15; minute++)
        {
            await RunAsync(check);
            engine.Tick(time.GetUtcNow());
            time.Advance(TimeSpan.FromMinutes(1));
            _api.Repeat(BackOff, 3);
        }

        var firing = Assert.Single(sink.Firing, f => f.Rule == "KubeWarningEventBurst");
        string Label(string name) => firing.Alert.Labels.Single(l => l.Name == name).Value;
        Assert.Equal(("shop", "Pod", "BackOff", "P3"), (Label("namespace"), Label("kind"), Label("reason"), Label("severity")));
    }

    private sealed class Sink : Monitor.Rules.Engine.IAlertSink
    {
        public List<Monitor.Rules.Alerting.AlertTransition> Firing { get; } = [];

        public void Publish(IReadOnlyList<Monitor.Rules.Alerting.AlertTransition> transitions, DateTimeOffset at) =>
            Firing.AddRange(transitions.Where(t => t.To == Monitor.Rules.Alerting.AlertState.Firing));
    }
}
