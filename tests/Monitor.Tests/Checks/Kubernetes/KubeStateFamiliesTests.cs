using Microsoft.Extensions.Time.Testing;
using Monitor.Checks;
using Monitor.Checks.Kubernetes;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Kubernetes;

/// <summary>
/// The kube-state-metrics 2.x families of the workload fixtures (an HPA at its maximum, a CronJob whose last
/// job failed, statefulsets, daemonsets, pods with requests and limits, node capacity) as ksm names, labels and
/// values them, label order included; and ksm's quantity conversion and the CronJob controller's next schedule.
/// </summary>
public sealed class KubeStateFamiliesTests : IAsyncLifetime
{
    private const string Api = "check=\"cluster\",namespace=\"shop\",pod=\"api-7d9f8b6c5d-x2k4p\",uid=\"5f0c2e1a-9b7d-4c3e-8a1f-2d6b4e8c0a93\"";
    private const string Trainer = "check=\"cluster\",namespace=\"ml\",pod=\"trainer-0\",uid=\"66666666-7777-8888-9999-000000000000\"";

    private KubeApiStandIn _api = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _api = await KubeApiStandIn.StartAsync();
        _dir = Path.Combine(Path.GetTempPath(), "kubefam-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        await File.WriteAllTextAsync(Path.Combine(_dir, "token"), "token-1\n");
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<Dictionary<string, string>> RunAsync(params string[] namespaces)
    {
        var store = new SeriesStore();
        var options = new CheckOptions
        {
            Name = "cluster",
            Kind = KubernetesCheck.Kind,
            Settings = new KubernetesCheckOptions { Kubeconfig = _api.WriteKubeconfig(_dir, Path.Combine(_dir, "token")), Namespaces = namespaces, Usage = false },
            Interval = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(10),
        };
        using var check = new KubernetesCheck(options, new SeriesScope(store, "cluster", new Dictionary<string, string>()), new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero)));
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        return Exposition.Samples(store);
    }

    [Fact]
    public async Task Hpa_AtMaximum_SpecStatusAndConditions()
    {
        var s = await RunAsync();
        const string hpa = "check=\"cluster\",namespace=\"shop\",horizontalpodautoscaler=\"api\"";
        Assert.Equal("2", s[$"kube_horizontalpodautoscaler_spec_min_replicas{{{hpa}}}"]);
        Assert.Equal("10", s[$"kube_horizontalpodautoscaler_spec_max_replicas{{{hpa}}}"]);
        Assert.Equal("10", s[$"kube_horizontalpodautoscaler_status_current_replicas{{{hpa}}}"]);
        Assert.Equal("10", s[$"kube_horizontalpodautoscaler_status_desired_replicas{{{hpa}}}"]);
        Assert.Equal("1", s[$"kube_horizontalpodautoscaler_status_condition{{{hpa},condition=\"ScalingLimited\",status=\"true\"}}"]);
        Assert.Equal("0", s[$"kube_horizontalpodautoscaler_status_condition{{{hpa},condition=\"ScalingLimited\",status=\"false\"}}"]);
        Assert.Equal("0", s[$"kube_horizontalpodautoscaler_status_condition{{{hpa},condition=\"ScalingLimited\",status=\"unknown\"}}"]);
        Assert.Equal("1", s["kube_horizontalpodautoscaler_status_condition{check=\"cluster\",namespace=\"ml\",horizontalpodautoscaler=\"trainer\",condition=\"ScalingActive\",status=\"false\"}"]);
        Assert.Equal(9 + 6, s.Keys.Count(k => k.StartsWith("kube_horizontalpodautoscaler_status_condition{", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Jobs_FailedCronJobRun_AsKsmReportsIt()
    {
        var s = await RunAsync();
        const string failed = "check=\"cluster\",namespace=\"shop\",job_name=\"pg-dump-29401440\"";
        Assert.Equal("1", s[$"kube_job_status_failed{{{failed},reason=\"BackoffLimitExceeded\"}}"]);
        Assert.Equal("0", s[$"kube_job_status_failed{{{failed},reason=\"DeadlineExceeded\"}}"]);
        Assert.Equal("0", s[$"kube_job_status_failed{{{failed},reason=\"Evicted\"}}"]);
        Assert.DoesNotContain($"kube_job_status_failed{{{failed}}}", s.Keys);
        Assert.Equal("0", s[$"kube_job_status_succeeded{{{failed}}}"]);
        Assert.Equal("0", s[$"kube_job_status_active{{{failed}}}"]);
        Assert.DoesNotContain($"kube_job_status_completion_time{{{failed}}}", s.Keys);
        Assert.Equal("1", s[$"kube_job_failed{{{failed},condition=\"true\"}}"]);
        Assert.Equal("0", s[$"kube_job_failed{{{failed},condition=\"false\"}}"]);
        Assert.DoesNotContain(s.Keys, k => k.StartsWith("kube_job_failed{", StringComparison.Ordinal) && !k.Contains(failed, StringComparison.Ordinal));
        Assert.Equal("1", s[$"kube_job_owner{{{failed},owner_kind=\"CronJob\",owner_name=\"pg-dump\",owner_is_controller=\"true\"}}"]);

        const string succeeded = "check=\"cluster\",namespace=\"shop\",job_name=\"pg-dump-29398560\"";
        Assert.Equal("0", s[$"kube_job_status_failed{{{succeeded}}}"]);
        Assert.Equal("1", s[$"kube_job_status_succeeded{{{succeeded}}}"]);
        Assert.Equal("1795054471", s[$"kube_job_status_completion_time{{{succeeded}}}"]);

        const string running = "check=\"cluster\",namespace=\"ml\",job_name=\"reindex\"";
        Assert.Equal("2", s[$"kube_job_status_active{{{running}}}"]);
        Assert.Equal("1", s[$"kube_job_owner{{{running},owner_kind=\"\",owner_name=\"\",owner_is_controller=\"\"}}"]);
    }

    [Fact]
    public async Task CronJobs_LastScheduleSuccessSuspendAndNextSchedule()
    {
        var s = await RunAsync();
        const string dump = "check=\"cluster\",namespace=\"shop\",cronjob=\"pg-dump\"";
        Assert.Equal("1795226400", s[$"kube_cronjob_status_last_schedule_time{{{dump}}}"]);
        Assert.Equal("1795054471", s[$"kube_cronjob_status_last_successful_time{{{dump}}}"]);
        Assert.Equal("0", s[$"kube_cronjob_spec_suspend{{{dump}}}"]);
        Assert.Equal("1795312800", s[$"kube_cronjob_next_schedule_time{{{dump}}}"]); // 0 2 * * * after 2026-11-21T02:00Z

        const string cleanup = "check=\"cluster\",namespace=\"ml\",cronjob=\"cleanup\"";
        Assert.Equal("1", s[$"kube_cronjob_spec_suspend{{{cleanup}}}"]);
        Assert.DoesNotContain($"kube_cronjob_next_schedule_time{{{cleanup}}}", s.Keys); // suspended: no next time
        Assert.DoesNotContain($"kube_cronjob_status_last_schedule_time{{{cleanup}}}", s.Keys);
        Assert.DoesNotContain($"kube_cronjob_status_last_successful_time{{{cleanup}}}", s.Keys);

        // Never scheduled: the first time after its creation (Saturday 09:20), @weekly being Sunday 00:00.
        Assert.Equal("1795305600", s["kube_cronjob_next_schedule_time{check=\"cluster\",namespace=\"ml\",cronjob=\"report\"}"]);
    }

    [Fact]
    public async Task StatefulSetsAndDaemonSets_ReadyAndDesired()
    {
        var s = await RunAsync();
        Assert.Equal("2", s["kube_statefulset_replicas{check=\"cluster\",namespace=\"ml\",statefulset=\"trainer\"}"]);
        Assert.Equal("1", s["kube_statefulset_status_replicas_ready{check=\"cluster\",namespace=\"ml\",statefulset=\"trainer\"}"]);
        Assert.Equal("1", s["kube_statefulset_replicas{check=\"cluster\",namespace=\"shop\",statefulset=\"postgres\"}"]);
        Assert.Equal("2", s["kube_daemonset_status_desired_number_scheduled{check=\"cluster\",namespace=\"ml\",daemonset=\"dcgm-exporter\"}"]);
        Assert.Equal("1", s["kube_daemonset_status_number_ready{check=\"cluster\",namespace=\"ml\",daemonset=\"dcgm-exporter\"}"]);
    }

    [Fact]
    public async Task Pods_OwnerInfoContainerInfoRequestsAndLimits()
    {
        var s = await RunAsync();
        Assert.Equal("1", s[$"kube_pod_owner{{{Api},owner_kind=\"ReplicaSet\",owner_name=\"api-7d9f8b6c5d\",owner_is_controller=\"true\"}}"]);
        Assert.Equal("1", s["kube_pod_owner{check=\"cluster\",namespace=\"shop\",pod=\"web-5c7d9-abcde\",uid=\"11111111-2222-3333-4444-555555555555\",owner_kind=\"<none>\",owner_name=\"<none>\",owner_is_controller=\"<none>\"}"]);
        Assert.Equal("1", s[$"kube_pod_owner{{{Trainer},owner_kind=\"StatefulSet\",owner_name=\"trainer\",owner_is_controller=\"true\"}}"]);
        Assert.Equal("1", s[$"kube_pod_info{{{Api},host_ip=\"10.0.3.21\",pod_ip=\"10.244.3.17\",node=\"gpu-node-01\",created_by_kind=\"ReplicaSet\",created_by_name=\"api-7d9f8b6c5d\",priority_class=\"\",host_network=\"false\"}}"]);
        Assert.Equal("1", s[$"kube_pod_container_info{{{Api},container=\"api\",image_spec=\"registry.example.com/shop/api:1.4.2\",image=\"registry.example.com/shop/api:1.4.2\",image_id=\"registry.example.com/shop/api@sha256:2b8c4e6f8a0c2e4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e4a6c8e0a2c4e6a8c0e2a\",container_id=\"containerd://9c1f0e7b2a4d6c8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e\"}}"]);

        string api = $"{Api},container=\"api\",node=\"gpu-node-01\"";
        Assert.Equal("0.25", s[$"kube_pod_container_resource_requests{{{api},resource=\"cpu\",unit=\"core\"}}"]);
        Assert.Equal("134217728", s[$"kube_pod_container_resource_requests{{{api},resource=\"memory\",unit=\"byte\"}}"]);
        Assert.Equal("0.5", s[$"kube_pod_container_resource_limits{{{api},resource=\"cpu\",unit=\"core\"}}"]);
        Assert.Equal("268435456", s[$"kube_pod_container_resource_limits{{{api},resource=\"memory\",unit=\"byte\"}}"]);
        string trainer = $"{Trainer},container=\"trainer\",node=\"gpu-node-02\"";
        Assert.Equal("2", s[$"kube_pod_container_resource_requests{{{trainer},resource=\"cpu\",unit=\"core\"}}"]);
        Assert.Equal("3.5", s[$"kube_pod_container_resource_limits{{{trainer},resource=\"cpu\",unit=\"core\"}}"]);
        Assert.Equal("8589934592", s[$"kube_pod_container_resource_limits{{{trainer},resource=\"memory\",unit=\"byte\"}}"]);
        Assert.Equal("10000000000", s[$"kube_pod_container_resource_requests{{{trainer},resource=\"ephemeral_storage\",unit=\"byte\"}}"]);
        Assert.Equal("1", s[$"kube_pod_container_resource_requests{{{trainer},resource=\"nvidia_com_gpu\",unit=\"integer\"}}"]);
    }

    [Fact]
    public async Task Nodes_CapacityAndAllocatable()
    {
        var s = await RunAsync();
        Assert.Equal("32", s["kube_node_status_capacity{check=\"cluster\",node=\"gpu-node-01\",resource=\"cpu\",unit=\"core\"}"]);
        Assert.Equal("31.85", s["kube_node_status_allocatable{check=\"cluster\",node=\"gpu-node-01\",resource=\"cpu\",unit=\"core\"}"]);
        Assert.Equal("270189285376", s["kube_node_status_capacity{check=\"cluster\",node=\"gpu-node-01\",resource=\"memory\",unit=\"byte\"}"]);
        Assert.Equal("110", s["kube_node_status_allocatable{check=\"cluster\",node=\"gpu-node-01\",resource=\"pods\",unit=\"integer\"}"]);
        Assert.Equal("4", s["kube_node_status_capacity{check=\"cluster\",node=\"gpu-node-01\",resource=\"nvidia_com_gpu\",unit=\"integer\"}"]);
        Assert.Equal("0", s["kube_node_status_capacity{check=\"cluster\",node=\"gpu-node-01\",resource=\"hugepages_2Mi\",unit=\"byte\"}"]);
        Assert.Equal("499963174912", s["kube_node_status_capacity{check=\"cluster\",node=\"gpu-node-01\",resource=\"ephemeral_storage\",unit=\"byte\"}"]);
    }

    [Fact]
    public async Task Namespaces_NewResourcesListedPerNamespace()
    {
        var s = await RunAsync("ml");
        Assert.DoesNotContain(s.Keys, k => k.Contains("namespace=\"shop\"", StringComparison.Ordinal));
        Assert.Contains("kube_daemonset_status_number_ready{check=\"cluster\",namespace=\"ml\",daemonset=\"dcgm-exporter\"}", s.Keys);
        foreach (string path in new[] { "/apis/autoscaling/v2/namespaces/ml/horizontalpodautoscalers", "/apis/batch/v1/namespaces/ml/jobs", "/apis/batch/v1/namespaces/ml/cronjobs", "/apis/apps/v1/namespaces/ml/statefulsets", "/apis/apps/v1/namespaces/ml/daemonsets" })
        {
            Assert.Contains(_api.Requests, r => r.StartsWith(path + "?limit=500", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("cpu", "250m", "cpu", "core", 0.25)]
    [InlineData("cpu", "2", "cpu", "core", 2)]
    [InlineData("cpu", "1.5", "cpu", "core", 1.5)]
    [InlineData("cpu", "100u", "cpu", "core", 0.001)] // MilliValue rounds up
    [InlineData("cpu", "2500000n", "cpu", "core", 0.003)]
    [InlineData("memory", "128Mi", "memory", "byte", 134217728)]
    [InlineData("memory", "1Gi", "memory", "byte", 1073741824)]
    [InlineData("memory", "1.5Gi", "memory", "byte", 1610612736)]
    [InlineData("memory", "500M", "memory", "byte", 500000000)]
    [InlineData("memory", "129e6", "memory", "byte", 129000000)]
    [InlineData("memory", "1E3", "memory", "byte", 1000)]
    [InlineData("memory", "100m", "memory", "byte", 1)] // Value rounds up
    [InlineData("memory", "263856724Ki", "memory", "byte", 270189285376)]
    [InlineData("ephemeral-storage", "10G", "ephemeral_storage", "byte", 10000000000)]
    [InlineData("storage", "2Ti", "storage", "byte", 2199023255552)]
    [InlineData("hugepages-2Mi", "4Mi", "hugepages_2Mi", "byte", 4194304)]
    [InlineData("attachable-volumes-aws-ebs", "39", "attachable_volumes_aws_ebs", "byte", 39)]
    [InlineData("nvidia.com/gpu", "1", "nvidia_com_gpu", "integer", 1)]
    [InlineData("example.com/foo-bar", "3", "example_com_foo_bar", "integer", 3)]
    public void Quantity_ConvertedAsKsmDoes(string resource, string quantity, string label, string unit, double value)
    {
        var converted = KubeQuantity.ToResourceUnitValue(resource, quantity, node: false);
        Assert.Equal((label, unit, value), converted);
    }

    [Theory]
    [InlineData("pods", "110", false)] // pods is a node resource only
    [InlineData("requests.cpu", "1", false)]
    [InlineData("kubernetes.io/foo", "1", false)]
    [InlineData("cpu", "12Xi", false)]
    [InlineData("cpu", "", false)]
    [InlineData("memory", "1.2.3", false)]
    [InlineData("cpu", "m", false)]
    public void Quantity_LeftOutWhereKsmLeavesItOut(string resource, string quantity, bool node) =>
        Assert.Null(KubeQuantity.ToResourceUnitValue(resource, quantity, node));

    [Fact]
    public void Quantity_PodsOnANode_AreIntegers() =>
        Assert.Equal(("pods", "integer", 110.0), KubeQuantity.ToResourceUnitValue("pods", "110", node: true));

    [Theory]
    [InlineData("0 2 * * *", null, "2026-11-21T02:00:00Z", "2026-11-22T02:00:00Z")]
    [InlineData("*/15 * * * *", null, "2026-11-21T10:07:13Z", "2026-11-21T10:15:00Z")]
    [InlineData("30 3 * * 1-5", null, "2026-11-21T09:00:00Z", "2026-11-23T03:30:00Z")] // Saturday → Monday
    [InlineData("0 0 1 * *", null, "2026-11-21T00:00:00Z", "2026-12-01T00:00:00Z")]
    [InlineData("@daily", null, "2026-11-21T02:00:00Z", "2026-11-22T00:00:00Z")]
    [InlineData("@hourly", null, "2026-11-21T02:00:00Z", "2026-11-21T03:00:00Z")]
    [InlineData("@weekly", null, "2026-11-21T09:20:00Z", "2026-11-22T00:00:00Z")]
    [InlineData("0 2 * * *", "Europe/Berlin", "2026-11-21T02:00:00Z", "2026-11-22T01:00:00Z")]
    [InlineData("CRON_TZ=Europe/Berlin 0 2 * * *", null, "2026-11-21T02:00:00Z", "2026-11-22T01:00:00Z")]
    [InlineData("TZ=America/New_York 0 2 * * *", null, "2026-11-21T02:00:00Z", "2026-11-21T07:00:00Z")]
    // robfig/cron (the controller's parser) ORs restricted day fields, as crontab(5): the 13th or a Friday.
    [InlineData("0 12 13 * FRI", null, "2026-11-21T00:00:00Z", "2026-11-27T12:00:00Z")]
    [InlineData("0 12 13 * 5", null, "2026-12-05T00:00:00Z", "2026-12-11T12:00:00Z")]
    [InlineData("0 12 1 * ?", null, "2026-11-21T00:00:00Z", "2026-12-01T12:00:00Z")]
    [InlineData("@every 90m", null, "2026-11-21T02:00:00.700Z", "2026-11-21T03:30:00Z")]
    [InlineData("@every 1h30m", null, "2026-11-21T02:00:00Z", "2026-11-21T03:30:00Z")]
    // Spring forward in New York (2026-03-08 02:00 → 03:00): 02:30 does not exist that day; cron fires at 03:00.
    [InlineData("CRON_TZ=America/New_York 30 2 * * *", null, "2026-03-07T08:00:00Z", "2026-03-08T07:00:00Z")]
    public void NextSchedule_AsTheCronJobControllerComputesIt(string schedule, string? timeZone, string after, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), KubeStateFamilies.NextSchedule(schedule, timeZone, DateTimeOffset.Parse(after, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("not a schedule", null)]
    [InlineData("61 * * * *", null)]
    [InlineData("0 2 * * *", "Mars/Olympus_Mons")]
    [InlineData("@every 500ms", null)]
    [InlineData("@every soon", null)]
    public void NextSchedule_Unparsable_IsNull(string schedule, string? timeZone) =>
        Assert.Null(KubeStateFamilies.NextSchedule(schedule, timeZone, DateTimeOffset.UnixEpoch));
}
