using Microsoft.Extensions.Time.Testing;
using Monitor.Checks;
using Monitor.Checks.Kubernetes;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;
using Monitor.Checks.Http;

namespace Monitor.Tests.Checks.Kubernetes;

public sealed class KubernetesCheckTests : IAsyncLifetime
{
    private KubeApiStandIn _api = null!;
    private string _dir = null!;
    private string _tokenFile = null!;

    public async Task InitializeAsync()
    {
        _api = await KubeApiStandIn.StartAsync();
        _dir = Path.Combine(Path.GetTempPath(), "kube-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        _tokenFile = Path.Combine(_dir, "token");
        await File.WriteAllTextAsync(_tokenFile, "token-1\n");
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private (KubernetesCheck Check, SeriesStore Store, FakeTimeProvider Time) Check(params string[] namespaces)
    {
        var store = new SeriesStore();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        var options = new CheckOptions
        {
            Name = "cluster",
            Kind = KubernetesCheck.Kind,
            Settings = new KubernetesCheckOptions { Kubeconfig = _api.WriteKubeconfig(_dir, _tokenFile), Namespaces = namespaces },
            Interval = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(10),
        };
        return (new KubernetesCheck(options, new SeriesScope(store, "cluster", new Dictionary<string, string>()), time), store, time);
    }

    [Fact]
    public async Task Run_Fixtures_PublishKubeStateMetricsSeries()
    {
        var (check, store, _) = Check();
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        var s = Exposition.Samples(store);
        const string crash = "check=\"cluster\",namespace=\"shop\",pod=\"api-7d9f8b6c5d-x2k4p\",uid=\"5f0c2e1a-9b7d-4c3e-8a1f-2d6b4e8c0a93\"";

        // A crash-looping pod stays Running and unready.
        Assert.Equal("1", s[$"kube_pod_status_phase{{{crash},phase=\"Running\"}}"]);
        Assert.Equal("0", s[$"kube_pod_status_phase{{{crash},phase=\"Pending\"}}"]);
        Assert.Equal("1", s[$"kube_pod_status_ready{{{crash},condition=\"false\"}}"]);
        Assert.Equal("0", s[$"kube_pod_status_ready{{{crash},condition=\"true\"}}"]);
        Assert.Equal("14", s[$"kube_pod_container_status_restarts_total{{{crash},container=\"api\"}}"]);
        Assert.Equal("1", s[$"kube_pod_container_status_waiting{{{crash},container=\"api\"}}"]);
        Assert.Equal("0", s[$"kube_pod_container_status_running{{{crash},container=\"api\"}}"]);
        Assert.Equal("1", s[$"kube_pod_container_status_waiting_reason{{{crash},container=\"api\",reason=\"CrashLoopBackOff\"}}"]);
        Assert.Equal("1", s[$"kube_pod_container_status_last_terminated_reason{{{crash},container=\"api\",reason=\"Error\"}}"]);

        Assert.Equal("1", s["kube_pod_container_status_waiting_reason{check=\"cluster\",namespace=\"shop\",pod=\"web-5c7d9-abcde\",uid=\"11111111-2222-3333-4444-555555555555\",container=\"web\",reason=\"ImagePullBackOff\"}"]);
        Assert.Equal("1", s["kube_pod_container_status_last_terminated_reason{check=\"cluster\",namespace=\"ml\",pod=\"trainer-0\",uid=\"66666666-7777-8888-9999-000000000000\",container=\"trainer\",reason=\"OOMKilled\"}"]);
        Assert.Equal("1", s["kube_pod_container_status_ready{check=\"cluster\",namespace=\"ml\",pod=\"trainer-0\",uid=\"66666666-7777-8888-9999-000000000000\",container=\"trainer\"}"]);

        Assert.Equal("1", s["kube_node_status_condition{check=\"cluster\",node=\"gpu-node-01\",condition=\"Ready\",status=\"true\"}"]);
        Assert.Equal("1", s["kube_node_status_condition{check=\"cluster\",node=\"gpu-node-02\",condition=\"Ready\",status=\"unknown\"}"]);
        Assert.Equal("0", s["kube_node_status_condition{check=\"cluster\",node=\"gpu-node-02\",condition=\"Ready\",status=\"true\"}"]);
        Assert.Equal("1", s["kube_node_spec_unschedulable{check=\"cluster\",node=\"gpu-node-02\"}"]);
        Assert.Equal("1", s["kube_persistentvolumeclaim_status_phase{check=\"cluster\",namespace=\"ml\",persistentvolumeclaim=\"models\",phase=\"Pending\"}"]);
        Assert.Equal("3", s["kube_deployment_spec_replicas{check=\"cluster\",namespace=\"shop\",deployment=\"api\"}"]);
        Assert.Equal("2", s["kube_deployment_status_replicas_available{check=\"cluster\",namespace=\"shop\",deployment=\"api\"}"]);

        // Pods came one per page; the first continue token was answered 410 and the list restarted.
        Assert.Equal(1, _api.GoneServed);
        Assert.Contains(_api.Requests, r => r.StartsWith("/api/v1/pods?limit=500&continue=p2", StringComparison.Ordinal));
    }

    /// <summary>The kubernetes-mixin crash-loop rule of alerts/ fires on the crash-looping fixture, through the rule engine.</summary>
    [Fact]
    public async Task CrashLoopRule_FiresOnTheCrashLoopingFixture()
    {
        _api.KeepCrashing = true;
        var (check, store, time) = Check();
        var sink = new Sink();
        var engine = new Monitor.Rules.Engine.RuleEngine(store, time, sink, Microsoft.Extensions.Logging.Abstractions.NullLogger<Monitor.Rules.Engine.RuleEngine>.Instance);
        var (groups, errors) = Monitor.Rules.RuleFiles.RuleFileLoader.Load(Repository.File("alerts/kubernetes.rules.yml"));
        Assert.Empty(errors);
        engine.Apply(new MonitorOptions { SourceFile = "t", EvaluationInterval = TimeSpan.FromMinutes(1) }, groups);
        for (int minute = 0; minute <= 20; minute++)
        {
            Assert.True((await check.RunAsync(CancellationToken.None)).Success);
            engine.Tick(time.GetUtcNow());
            time.Advance(TimeSpan.FromMinutes(1));
        }

        var firing = Assert.Single(sink.Firing, f => f.Rule == "KubePodCrashLooping");
        Assert.Contains(firing.Alert.Labels, l => l is { Name: "pod", Value: "api-7d9f8b6c5d-x2k4p" });
        Assert.Contains(firing.Alert.Labels, l => l is { Name: "severity", Value: "P2" });
        Assert.Equal("Pod shop/api-7d9f8b6c5d-x2k4p (api) is in waiting state (reason: \"CrashLoopBackOff\").", firing.Alert.Annotations["description"]);
    }

    /// <summary>
    /// The rules shipped in alerts/kubernetes.rules.yml fire on the fixtures (a throttled container near its CPU
    /// limit, one near its memory limit and OOM-killed, a full PVC, an HPA at max, a CronJob whose last job
    /// failed, pods not ready, an image that cannot be pulled, a NotReady node, a pending claim) through the check
    /// and the rule engine, each on the object it is about.
    /// </summary>
    [Fact]
    public async Task ShippedRules_FireOnTheFixtures()
    {
        _api.KubeletAdvances = true;
        var (check, store, time) = Check();
        var sink = new Sink();
        var engine = new Monitor.Rules.Engine.RuleEngine(store, time, sink, Microsoft.Extensions.Logging.Abstractions.NullLogger<Monitor.Rules.Engine.RuleEngine>.Instance);
        var (groups, errors) = Monitor.Rules.RuleFiles.RuleFileLoader.Load(Repository.File("alerts/kubernetes.rules.yml"));
        Assert.Empty(errors);
        engine.Apply(new MonitorOptions { SourceFile = "t", EvaluationInterval = TimeSpan.FromMinutes(1) }, groups);
        for (int minute = 0; minute <= 20; minute++)
        {
            var result = await check.RunAsync(CancellationToken.None);
            Assert.True(result.Success, result.Error);
            engine.Tick(time.GetUtcNow());
            time.Advance(TimeSpan.FromMinutes(1));
        }

        string Label(Monitor.Rules.Alerting.AlertTransition t, string name) => t.Alert.Labels.Single(l => l.Name == name).Value;
        var fired = sink.Firing.Where(f => f.Rule != "KubePodCrashLooping").ToList();
        Assert.Equal(
            ["KubeContainerCPUNearLimit", "KubeContainerCPUThrottled", "KubeContainerImagePullFailing", "KubeContainerMemoryNearLimit", "KubeContainerOOMKilled", "KubeCronJobNotSucceeded", "KubeHpaMaxedOut", "KubeJobFailed", "KubeNodeNotReady", "KubePersistentVolumeClaimPending", "KubePersistentVolumeFillingUp", "KubePodNotReady"],
            fired.Select(f => f.Rule).Distinct().Order(StringComparer.Ordinal));
        Assert.All(fired.Where(f => f.Rule.StartsWith("KubeContainerCPU", StringComparison.Ordinal)), f => Assert.Equal("api", Label(f, "container")));
        Assert.All(fired.Where(f => f.Rule is "KubeContainerMemoryNearLimit" or "KubeContainerOOMKilled"), f => Assert.Equal("trainer", Label(f, "container")));
        Assert.Equal("data-postgres-0", Label(Assert.Single(fired, f => f.Rule == "KubePersistentVolumeFillingUp"), "persistentvolumeclaim"));
        Assert.Equal("api", Label(Assert.Single(fired, f => f.Rule == "KubeHpaMaxedOut"), "horizontalpodautoscaler"));
        Assert.Equal("pg-dump", Label(Assert.Single(fired, f => f.Rule == "KubeCronJobNotSucceeded"), "cronjob"));
        Assert.Equal("pg-dump-29401440", Label(Assert.Single(fired, f => f.Rule == "KubeJobFailed"), "job_name"));
        Assert.Equal("P2", Assert.Single(fired, f => f.Rule == "KubeContainerMemoryNearLimit").Alert.Labels.Single(l => l.Name == "severity").Value);
        // The pending pod pulls an image that does not exist, the crash-looping one is Running but not Ready, the
        // cordoned node's Ready condition is Unknown, and the models claim is Pending.
        Assert.Equal("web", Label(Assert.Single(fired, f => f.Rule == "KubeContainerImagePullFailing"), "container"));
        Assert.Equal(["api-7d9f8b6c5d-x2k4p", "web-5c7d9-abcde"], fired.Where(f => f.Rule == "KubePodNotReady").Select(f => Label(f, "pod")).Order(StringComparer.Ordinal));
        Assert.Equal("gpu-node-02", Label(Assert.Single(fired, f => f.Rule == "KubeNodeNotReady"), "node"));
        Assert.Equal("models", Label(Assert.Single(fired, f => f.Rule == "KubePersistentVolumeClaimPending"), "persistentvolumeclaim"));
    }

    private sealed class Sink : Monitor.Rules.Engine.IAlertSink
    {
        public List<Monitor.Rules.Alerting.AlertTransition> Firing { get; } = [];

        public void Publish(IReadOnlyList<Monitor.Rules.Alerting.AlertTransition> transitions, DateTimeOffset at) =>
            Firing.AddRange(transitions.Where(t => t.To == Monitor.Rules.Alerting.AlertState.Firing));
    }

    [Fact]
    public async Task Run_Discovery_AnnotatedPodsAndServicesBecomeHttpChecks()
    {
        var reported = new List<(string Source, IReadOnlyList<CheckOptions> Checks)>();
        var store = new SeriesStore();
        var options = new CheckOptions
        {
            Name = "cluster",
            Kind = KubernetesCheck.Kind,
            Settings = new KubernetesCheckOptions { Kubeconfig = _api.WriteKubeconfig(_dir, _tokenFile) },
            Interval = TimeSpan.FromSeconds(20),
            Timeout = TimeSpan.FromSeconds(4),
            Labels = new Dictionary<string, string> { ["team"] = "platform" },
        };
        using var check = new KubernetesCheck(options, new SeriesScope(store, "cluster", new Dictionary<string, string>()), TimeProvider.System, discovered: (source, checks) => reported.Add((source, checks)));
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);

        var (source, all) = Assert.Single(reported);
        Assert.Equal("cluster", source);
        var found = all.Where(c => c.Kind.Key == HttpCheck.Kind.Key).ToList();
        Assert.Equal(["cluster/ml/pod/trainer-0", "cluster/shop/service/api"], found.Select(c => c.Name).Order(StringComparer.Ordinal));
        var pod = found.Single(c => c.Name.EndsWith("trainer-0", StringComparison.Ordinal));
        Assert.Equal(new Uri("http://10.244.1.5:8080/healthz"), pod.SettingsOf<HttpCheckOptions>().Url);
        Assert.Equal(new Dictionary<string, string> { ["team"] = "platform", ["namespace"] = "ml", ["pod"] = "trainer-0", ["severity"] = "P2" }, pod.Labels);
        Assert.Equal(TimeSpan.FromSeconds(20), pod.Interval);
        var service = found.Single(c => c.Name.EndsWith("service/api", StringComparison.Ordinal));
        Assert.Equal(new Uri("http://api.shop.svc:9090/health"), service.SettingsOf<HttpCheckOptions>().Url);
        Assert.Equal("shop", service.Labels["namespace"]);
        Assert.Equal("api", service.Labels["service"]);
    }

    [Fact]
    public async Task Run_Discovery_PrometheusAnnotatedPodsAndServicesBecomeScrapeChecks()
    {
        var reported = new List<(string Source, IReadOnlyList<CheckOptions> Checks)>();
        var store = new SeriesStore();
        var options = new CheckOptions
        {
            Name = "cluster",
            Kind = KubernetesCheck.Kind,
            Settings = new KubernetesCheckOptions { Kubeconfig = _api.WriteKubeconfig(_dir, _tokenFile), Usage = false },
            Interval = TimeSpan.FromSeconds(20),
            Timeout = TimeSpan.FromSeconds(4),
            Labels = new Dictionary<string, string> { ["team"] = "platform" },
        };
        using var check = new KubernetesCheck(options, new SeriesScope(store, "cluster", new Dictionary<string, string>()), TimeProvider.System, discovered: (source, checks) => reported.Add((source, checks)));
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);

        var (source, all) = Assert.Single(reported);
        Assert.Equal("cluster", source);
        var found = all.Where(c => c.Kind.Key == Monitor.Checks.Scrape.ScrapeCheck.Kind.Key).ToList();

        // The pending pod (no IP yet), a service with scrape "false" and one with a scheme other than http(s) give none.
        Assert.Equal(["cluster/ml/pod/trainer-0/scrape", "cluster/shop/service/envoy-metrics/scrape"], found.Select(c => c.Name).Order(StringComparer.Ordinal));

        // A pod: its IP, prometheus.io/port, the default path and scheme; beside its HTTP check (monitor.io/health-path).
        var pod = found.Single(c => c.Name.Contains("trainer-0", StringComparison.Ordinal));
        Assert.Equal(new Uri("http://10.244.1.5:9400/metrics"), pod.SettingsOf<Monitor.Checks.Scrape.ScrapeCheckOptions>().Url);
        Assert.Equal(new Dictionary<string, string> { ["team"] = "platform", ["namespace"] = "ml", ["pod"] = "trainer-0", ["severity"] = "P2" }, pod.Labels);
        Assert.Equal((TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(4)), (pod.Interval, pod.Timeout));
        Assert.Equal("discovered by cluster", pod.Origin);
        Assert.Contains(all, c => c.Name == "cluster/ml/pod/trainer-0" && c.Kind.Key == HttpCheck.Kind.Key);

        // A service: its cluster DNS name, the first service port, the path and scheme annotations.
        var service = found.Single(c => c.Name.Contains("envoy-metrics", StringComparison.Ordinal));
        Assert.Equal(new Uri("https://envoy-metrics.shop.svc:9901/stats/prometheus"), service.SettingsOf<Monitor.Checks.Scrape.ScrapeCheckOptions>().Url);
        Assert.Equal(new Dictionary<string, string> { ["team"] = "platform", ["namespace"] = "shop", ["service"] = "envoy-metrics" }, service.Labels);

        // Names and fingerprints are unique, and unlike the HTTP checks' of the same objects.
        Assert.Equal(all.Count, all.Select(c => c.Name).Distinct().Count());
        Assert.Equal(all.Count, all.Select(c => c.Fingerprint).Distinct().Count());
        Assert.StartsWith("discovered|scrape|http://10.244.1.5:9400/metrics|", pod.Fingerprint);

        // The same cluster reports the same checks, so the scheduler keeps them as they are.
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Assert.Equal(all.Select(c => c.Fingerprint + c.Name), reported[1].Checks.Select(c => c.Fingerprint + c.Name));
    }

    [Fact]
    public async Task Run_Namespaces_ListOnlyThose()
    {
        var (check, store, _) = Check("ml");
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        var s = Exposition.Samples(store);
        Assert.DoesNotContain(s.Keys, k => k.Contains("namespace=\"shop\"", StringComparison.Ordinal));
        Assert.Contains(s.Keys, k => k.Contains("pod=\"trainer-0\"", StringComparison.Ordinal));
        Assert.Contains(_api.Requests, r => r.StartsWith("/api/v1/namespaces/ml/pods", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_TokenFileRotates_NewTokenIsPickedUp()
    {
        var (check, _, time) = Check();
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        _api.Token = "token-2";
        await File.WriteAllTextAsync(_tokenFile, "token-2\n");
        // Within the minute the old token is used, rejected, and the file re-read at once.
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        time.Advance(TimeSpan.FromMinutes(2));
        _api.Token = "token-3";
        await File.WriteAllTextAsync(_tokenFile, "token-3");
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
    }

    [Fact]
    public async Task Run_RbacForbidden_NamesVerbAndResource()
    {
        _api.Forbidden.Add("persistentvolumeclaims");
        var (check, _, _) = Check();
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Auth, result.Reason);
        Assert.Contains("may not \"list\" persistentvolumeclaims", result.Error);
        Assert.Contains("cannot list resource", result.Error);
    }

    [Fact]
    public async Task Run_OneListRefused_TheOthersArePublishedAndItFailsOnItsOwn()
    {
        var (check, store, _) = Check();
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Assert.Contains("kube_deployment_spec_replicas{check=\"cluster\",namespace=\"shop\",deployment=\"api\"}", Exposition.Samples(store).Keys);

        // Deployments are now forbidden and PVCs missing: pods and nodes are still read and published, the two
        // lists fail each with its own reason, and their series of the last good read are kept.
        _api.Forbidden.Add("deployments");
        _api.Missing.Add("persistentvolumeclaims");
        var result = await check.RunAsync(CancellationToken.None);
        Assert.False(result.Success);
        Assert.Equal(
            [("persistentvolumeclaims", FailureReasons.Status), ("deployments", FailureReasons.Auth)],
            result.Parts.Select(p => (p.Part, p.Reason)));
        Assert.Contains("404", result.Parts[0].Error);
        Assert.Contains("may not \"list\" deployments", result.Parts[1].Error);
        Assert.Contains("2 of", result.Error);
        var s = Exposition.Samples(store);
        Assert.Equal("1", s["kube_node_status_condition{check=\"cluster\",node=\"gpu-node-01\",condition=\"Ready\",status=\"true\"}"]);
        Assert.Contains(s.Keys, k => k.StartsWith("kube_pod_status_phase{", StringComparison.Ordinal));
        Assert.Contains(s.Keys, k => k.StartsWith("kube_statefulset_", StringComparison.Ordinal) || k.StartsWith("kube_job_", StringComparison.Ordinal));
        Assert.Equal("3", s["kube_deployment_spec_replicas{check=\"cluster\",namespace=\"shop\",deployment=\"api\"}"]);
        Assert.Equal("1", s["kube_persistentvolumeclaim_status_phase{check=\"cluster\",namespace=\"ml\",persistentvolumeclaim=\"models\",phase=\"Pending\"}"]);
    }

    [Fact]
    public async Task Run_EveryListRefusedTheSameWay_IsOneFailure()
    {
        _api.Token = "another";
        var (check, _, _) = Check();
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Auth, result.Reason);
        Assert.Empty(result.Parts);
    }

    [Fact]
    public void Kubeconfig_ClientCertificateInsecureAndCaFile_AreRead()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=monitor", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UnixEpoch.AddYears(50), DateTimeOffset.UnixEpoch.AddYears(60));
        string certData = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(cert.ExportCertificatePem()));
        string keyData = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), _api.Certificate.ExportCertificatePem());
        string path = Path.Combine(_dir, "kubeconfig-cert");
        File.WriteAllText(path, $$"""
            apiVersion: v1
            kind: Config
            current-context: c
            clusters:
            - { name: k, cluster: { server: "https://10.0.0.1:6443", certificate-authority: ca.crt, insecure-skip-tls-verify: true } }
            users:
            - { name: u, user: { client-certificate-data: {{certData}}, client-key-data: {{keyData}} } }
            contexts:
            - { name: c, context: { cluster: k, user: u } }
            """);
        var connection = KubeConnection.FromKubeconfig(path);
        Assert.Equal(new Uri("https://10.0.0.1:6443"), connection.Server);
        Assert.True(connection.InsecureSkipTlsVerify);
        Assert.Equal(_api.Certificate.Thumbprint, Assert.Single(connection.CertificateAuthority!).Thumbprint);
        Assert.True(connection.ClientCertificate!.HasPrivateKey);
        Assert.Equal(cert.Thumbprint, connection.ClientCertificate.Thumbprint);
        Assert.Null(connection.Token);
    }

    [Fact]
    public async Task Run_UntrustedServer_IsATlsFailure()
    {
        string kubeconfig = _api.WriteKubeconfig(_dir, _tokenFile);
        await File.WriteAllTextAsync(kubeconfig, (await File.ReadAllTextAsync(kubeconfig)).Replace("certificate-authority-data:", "certificate-authority-data-unused:", StringComparison.Ordinal));
        var options = new CheckOptions { Name = "c", Kind = KubernetesCheck.Kind, Settings = new KubernetesCheckOptions { Kubeconfig = kubeconfig }, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(10) };
        using var check = new KubernetesCheck(options, new SeriesScope(new SeriesStore(), "c", new Dictionary<string, string>()), TimeProvider.System);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Tls, result.Reason);
    }
}
