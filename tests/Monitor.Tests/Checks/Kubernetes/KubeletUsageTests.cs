using Microsoft.Extensions.Time.Testing;
using Monitor.Checks;
using Monitor.Checks.Kubernetes;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Kubernetes;

/// <summary>
/// Kubelet usage through the API server's node proxy against the stand-in's cAdvisor and kubelet text: a
/// CPU-throttled container, a container near its memory limit with OOM events, a full PVC; the keep filter,
/// namespaces, the per-node cap, a node whose kubelet is down and a role without <c>nodes/proxy</c>.
/// </summary>
public sealed class KubeletUsageTests : IAsyncLifetime
{
    private const string ApiContainer = "container=\"api\",id=\"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5f0c2e1a_9b7d_4c3e_8a1f_2d6b4e8c0a93.slice/cri-containerd-9c1f0e7b2a4d6c8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e.scope\",image=\"registry.example.com/shop/api:1.4.2\",name=\"9c1f0e7b2a4d6c8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e\",namespace=\"shop\",pod=\"api-7d9f8b6c5d-x2k4p\",node=\"gpu-node-01\"";

    private KubeApiStandIn _api = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _api = await KubeApiStandIn.StartAsync();
        _dir = Path.Combine(Path.GetTempPath(), "kubeusage-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        await File.WriteAllTextAsync(Path.Combine(_dir, "token"), "token-1\n");
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private (KubernetesCheck Check, SeriesStore Store) Check(KubernetesCheckOptions settings)
    {
        var store = new SeriesStore();
        var options = new CheckOptions
        {
            Name = "cluster",
            Kind = KubernetesCheck.Kind,
            Settings = settings with { Kubeconfig = _api.WriteKubeconfig(_dir, Path.Combine(_dir, "token")) },
            Interval = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(10),
        };
        return (new KubernetesCheck(options, new SeriesScope(store, "cluster", new Dictionary<string, string>()), new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero))), store);
    }

    [Fact]
    public async Task Usage_CadvisorAndVolumeStats_WithTheirOwnLabelsAndNode()
    {
        var (check, store) = Check(new KubernetesCheckOptions());
        using var _ = check;
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        var s = Exposition.Samples(store);

        // The throttled container: 54000 of 120000 CFS periods.
        Assert.Equal("54000", s[$"container_cpu_cfs_throttled_periods_total{{check=\"cluster\",{ApiContainer}}}"]);
        Assert.Equal("120000", s[$"container_cpu_cfs_periods_total{{check=\"cluster\",{ApiContainer}}}"]);
        Assert.Equal("48213.912345", s[$"container_cpu_usage_seconds_total{{check=\"cluster\",{ApiContainer.Replace("container=\"api\",", "container=\"api\",cpu=\"total\",", StringComparison.Ordinal)}}}"]);
        Assert.Equal("201326592", s[$"container_memory_working_set_bytes{{check=\"cluster\",{ApiContainer}}}"]);

        // The container near its 8Gi limit, OOM-killed three times.
        Assert.Equal("8375000000", s.Single(kv => kv.Key.StartsWith("container_memory_working_set_bytes{", StringComparison.Ordinal) && kv.Key.Contains("container=\"trainer\"", StringComparison.Ordinal)).Value);
        Assert.Equal("3", s.Single(kv => kv.Key.StartsWith("container_oom_events_total{", StringComparison.Ordinal) && kv.Key.Contains("container=\"trainer\"", StringComparison.Ordinal) && kv.Key.Contains("node=\"gpu-node-02\"", StringComparison.Ordinal)).Value);

        // The full PVC, with kubelet's labels.
        const string pvc = "check=\"cluster\",namespace=\"shop\",persistentvolumeclaim=\"data-postgres-0\",node=\"gpu-node-01\"";
        Assert.Equal("50023456768", s[$"kubelet_volume_stats_used_bytes{{{pvc}}}"]);
        Assert.Equal("52589998080", s[$"kubelet_volume_stats_capacity_bytes{{{pvc}}}"]);
        Assert.Equal("2566541312", s[$"kubelet_volume_stats_available_bytes{{{pvc}}}"]);
        Assert.Equal("3276800", s[$"kubelet_volume_stats_inodes{{{pvc}}}"]);
        Assert.Equal("412", s[$"kubelet_volume_stats_inodes_used{{{pvc}}}"]);
        Assert.Equal("3276388", s[$"kubelet_volume_stats_inodes_free{{{pvc}}}"]);

        // Only the kept families; the root cgroup is there when no namespaces are listed.
        Assert.DoesNotContain(s.Keys, k => k.StartsWith("container_last_seen", StringComparison.Ordinal) || k.StartsWith("kubelet_running_pods", StringComparison.Ordinal)
            || k.StartsWith("kubelet_pod_start_duration", StringComparison.Ordinal) || k.StartsWith("kubelet_volume_stats_health", StringComparison.Ordinal) || k.StartsWith("container_memory_usage_bytes", StringComparison.Ordinal));
        Assert.Contains("container_memory_working_set_bytes{check=\"cluster\",container=\"\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\",node=\"gpu-node-01\"}", s.Keys);
        Assert.Equal("1", s["monitor_kubernetes_usage_success{check=\"cluster\",node=\"gpu-node-02\"}"]);
        Assert.Equal("0", s["monitor_kubernetes_usage_series_dropped{check=\"cluster\",node=\"gpu-node-01\"}"]);
        Assert.Contains(_api.Requests, r => r == "/api/v1/nodes/gpu-node-01/proxy/metrics/cadvisor");
        Assert.Contains(_api.Requests, r => r == "/api/v1/nodes/gpu-node-02/proxy/metrics");
    }

    [Fact]
    public async Task Usage_Namespaces_OnlyTheirSamplesAndTheNodesTheirPodsRunOn()
    {
        var (check, store) = Check(new KubernetesCheckOptions { Namespaces = ["ml"] });
        using var _ = check;
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        var s = Exposition.Samples(store);
        Assert.DoesNotContain(s.Keys, k => k.Contains("namespace=\"shop\"", StringComparison.Ordinal) || k.Contains("id=\"/\"", StringComparison.Ordinal));
        Assert.Contains(s.Keys, k => k.StartsWith("container_oom_events_total{", StringComparison.Ordinal) && k.Contains("pod=\"trainer-0\"", StringComparison.Ordinal));
        Assert.DoesNotContain(_api.Requests, r => r.StartsWith("/api/v1/nodes/gpu-node-01/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Usage_KeepAndCap_BoundTheSeriesAndReportTheOverflow()
    {
        var (check, store) = Check(new KubernetesCheckOptions { UsageKeep = new System.Text.RegularExpressions.Regex("^(?:container_.*)$"), UsageMaxSeries = 4 });
        using var _ = check;
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        var s = Exposition.Samples(store);
        Assert.Equal(8, s.Keys.Count(k => k.StartsWith("container_", StringComparison.Ordinal)));
        Assert.DoesNotContain(s.Keys, k => k.StartsWith("kubelet_", StringComparison.Ordinal));
        // Each node's cAdvisor text has 20 container_* samples: 4 kept, 16 counted as dropped.
        Assert.Equal("16", s["monitor_kubernetes_usage_series_dropped{check=\"cluster\",node=\"gpu-node-01\"}"]);
        Assert.Equal("16", s["monitor_kubernetes_usage_series_dropped{check=\"cluster\",node=\"gpu-node-02\"}"]);
    }

    [Fact]
    public async Task Usage_OneKubeletDown_NamesTheNodeKeepsItsSeriesAndPublishesTheOthers_CheckStaysUp()
    {
        var (check, store) = Check(new KubernetesCheckOptions());
        using var _ = check;
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        int before = Exposition.Samples(store).Keys.Count(k => k.Contains("node=\"gpu-node-02\"", StringComparison.Ordinal) && k.StartsWith("container_", StringComparison.Ordinal));

        // One node's kubelet down is that node's alert (monitor_kubernetes_usage_success 0), not the check's.
        _api.KubeletDown.Add("gpu-node-02");
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        // The usage failure first; the namespaces' latest Warning events follow it.
        string detail = Assert.Single(result.Details, d => d.StartsWith("kubelet usage", StringComparison.Ordinal));
        Assert.Equal(detail, result.Details[0]);
        Assert.Contains("node gpu-node-02: /api/v1/nodes/gpu-node-02/proxy/metrics/cadvisor", detail);
        Assert.Contains("connect: connection refused", detail);
        Assert.DoesNotContain("gpu-node-01", detail);
        var s = Exposition.Samples(store);
        Assert.Equal("0", s["monitor_kubernetes_usage_success{check=\"cluster\",node=\"gpu-node-02\"}"]);
        Assert.Equal("1", s["monitor_kubernetes_usage_success{check=\"cluster\",node=\"gpu-node-01\"}"]);
        Assert.Equal(before, s.Keys.Count(k => k.Contains("node=\"gpu-node-02\"", StringComparison.Ordinal) && k.StartsWith("container_", StringComparison.Ordinal)));
        Assert.Contains($"container_cpu_cfs_throttled_periods_total{{check=\"cluster\",{ApiContainer}}}", s.Keys);
        Assert.Contains(s.Keys, k => k.StartsWith("kube_pod_status_phase{", StringComparison.Ordinal));

        // Every node's kubelet down: then the check fails, naming them.
        _api.KubeletDown.Add("gpu-node-01");
        var all = await check.RunAsync(CancellationToken.None);
        Assert.False(all.Success);
        Assert.Equal(FailureReasons.Status, all.Reason);
        Assert.Contains("gpu-node-01", all.Error);
        Assert.Contains("gpu-node-02", all.Error);
    }

    [Fact]
    public async Task Usage_RoleWithoutNodesProxy_IsAnAuthFailureNamingTheVerb()
    {
        _api.Forbidden.Add("nodes/proxy");
        var (check, _) = Check(new KubernetesCheckOptions());
        using var _c = check;
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Auth, result.Reason);
        Assert.Contains("may not \"get\" nodes/proxy", result.Error);
        Assert.Contains("node gpu-node-01", result.Error);
    }

    [Fact]
    public async Task Usage_Off_NoNodeProxyRequests()
    {
        var (check, store) = Check(new KubernetesCheckOptions { Usage = false });
        using var _ = check;
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Assert.DoesNotContain(_api.Requests, r => r.Contains("/proxy/", StringComparison.Ordinal));
        Assert.DoesNotContain(Exposition.Samples(store).Keys, k => k.StartsWith("container_", StringComparison.Ordinal));
    }

    [Fact]
    public void Options_UsageKeysAreRead()
    {
        var settings = ReadSection("usage: false\nusage_keep: container_.*\nusage_max_series: 500\nusage_concurrency: 2\n");
        Assert.False(settings.Usage);
        Assert.Matches(settings.UsageKeep!, "container_cpu_usage_seconds_total");
        Assert.DoesNotMatch(settings.UsageKeep!, "xcontainer_cpu");
        Assert.Equal(500, settings.UsageMaxSeries);
        Assert.Equal(2, settings.UsageConcurrency);
        var defaults = ReadSection("{}");
        Assert.True(defaults.Usage);
        Assert.Null(defaults.UsageKeep);
        Assert.Matches(KubeletUsage.DefaultKeep, "kubelet_volume_stats_inodes_free");
        Assert.DoesNotMatch(KubeletUsage.DefaultKeep, "container_last_seen");
    }

    private static KubernetesCheckOptions ReadSection(string yaml)
    {
        var text = $"checks:\n  - name: k\n    kubernetes:\n{string.Join('\n', yaml.Split('\n').Select(l => "      " + l))}\n";
        var loaded = ConfigLoader.Parse(text, "t.yaml", Monitor.Hosting.MonitorConfig.Schema);
        Assert.Empty(loaded.Errors);
        return loaded.Options!.Checks.Single().SettingsOf<KubernetesCheckOptions>();
    }
}
