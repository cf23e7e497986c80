using System.Text.RegularExpressions;
using Monitor.Hosting;
using Monitor.Checks.Kubernetes;
using Monitor.Checks.Logs;
using Monitor.Configuration;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Metrics;
using Monitor.Tests.Checks.Kubernetes;
using Monitor.Tests.TestSupport;
using YamlDotNet.RepresentationModel;
using Monitor.Checks.Http;
using Monitor.Checks.Docker;
using Monitor.Checks.Postgres;
using Monitor.Checks.Redis;
using Monitor.Checks.Tcp;

namespace Monitor.IntegrationTests.Hosting;

/// <summary>
/// deploy/: the Kubernetes kit rendered offline by the real <c>kubectl kustomize</c> (every object parses, the
/// image is the one the Dockerfile build tags, the probes answer on a real Monitor, RBAC covers every request the
/// Kubernetes check makes and nothing more, the store is on a PVC), and the compose kit read by the real
/// podman-compose (with podman replaced by <c>true</c>, so nothing is created) and by Monitor's config loader.
/// </summary>
public sealed class DeploymentKitTests
{
    private static string Kubectl => Tools.Require("kubectl", "kubernetes-client");

    private static async Task<List<YamlMappingNode>> RenderAsync(string directory)
    {
        var (code, output) = await ExternalProcess.RunAsync(Kubectl, ["kustomize", Repository.File(directory)]);
        Assert.True(code == 0, $"kubectl kustomize {directory} failed:\n{output}");
        var stream = new YamlStream();
        stream.Load(new StringReader(output));
        var documents = stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode)).ToList();
        Assert.All(documents, d =>
        {
            Assert.False(string.IsNullOrEmpty(Scalar(d, "apiVersion")));
            Assert.False(string.IsNullOrEmpty(Scalar(d, "kind")));
            Assert.False(string.IsNullOrEmpty(Scalar(Map(d, "metadata"), "name")));
        });
        return documents;
    }

    private static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value ?? "" : "";

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[key];

    private static IEnumerable<YamlMappingNode> Items(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlSequenceNode)value).Children.Cast<YamlMappingNode>() : [];

    private static IEnumerable<string> Strings(YamlMappingNode node, string key) =>
        ((YamlSequenceNode)node[key]).Children.Select(c => ((YamlScalarNode)c).Value!);

    private static YamlMappingNode Single(List<YamlMappingNode> documents, string kind) => documents.Single(d => Scalar(d, "kind") == kind);

    private static YamlMappingNode Container(List<YamlMappingNode> documents) =>
        Items(Map(Map(Map(Single(documents, "Deployment"), "spec"), "template"), "spec"), "containers").Single();

    [Fact]
    public async Task Kustomize_RendersEveryObject_InOneNamespace_WithTheBuiltImage()
    {
        var documents = await RenderAsync("deploy/kubernetes");
        Assert.Equal(
            ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Namespace", "PersistentVolumeClaim", "Service", "ServiceAccount"],
            documents.Select(d => Scalar(d, "kind")).Order(StringComparer.Ordinal));
        Assert.All(documents.Where(d => Scalar(d, "kind") is not ("Namespace" or "ClusterRole" or "ClusterRoleBinding")),
            d => Assert.Equal("monitoring", Scalar(Map(d, "metadata"), "namespace")));

        // tests/container/build-image.sh tags localhost/monitor:<version>; podman and the manifests name it monitor:<version>.
        Assert.Equal($"monitor:{SelfMetrics.Version}", Scalar(Container(documents), "image"));

        var withOperator = await RenderAsync("deploy/prometheus-operator");
        var serviceMonitor = Single(withOperator, "ServiceMonitor");
        Assert.Equal("http", Scalar(Items(Map(serviceMonitor, "spec"), "endpoints").Single(), "port"));
        Assert.Equal("/metrics", Scalar(Items(Map(serviceMonitor, "spec"), "endpoints").Single(), "path"));
    }

    [Fact]
    public async Task Kustomize_StoreIsOnAPersistentVolumeClaim_AndTheConfigMapIsAValidConfig()
    {
        var documents = await RenderAsync("deploy/kubernetes");
        var pod = Map(Map(Map(Single(documents, "Deployment"), "spec"), "template"), "spec");
        var container = Container(documents);

        var dataMount = Items(container, "volumeMounts").Single(m => Scalar(m, "mountPath") == "/data");
        var dataVolume = Items(pod, "volumes").Single(v => Scalar(v, "name") == Scalar(dataMount, "name"));
        Assert.False(dataVolume.Children.ContainsKey(new YamlScalarNode("emptyDir")), "the alert store must not be on an emptyDir");
        string claim = Scalar(Map(dataVolume, "persistentVolumeClaim"), "claimName");
        Assert.Contains(documents, d => Scalar(d, "kind") == "PersistentVolumeClaim" && Scalar(Map(d, "metadata"), "name") == claim);
        Assert.Equal("Recreate", Scalar(Map(Map(Single(documents, "Deployment"), "spec"), "strategy"), "type"));

        // The generated ConfigMap (its name carries kustomize's hash) is the one mounted, and Monitor accepts it.
        var configMap = Single(documents, "ConfigMap");
        var configVolume = Items(pod, "volumes").Single(v => v.Children.ContainsKey(new YamlScalarNode("configMap")));
        Assert.Equal(Scalar(Map(configMap, "metadata"), "name"), Scalar(Map(configVolume, "configMap"), "name"));
        string yaml = Scalar(Map(configMap, "data"), "monitor.yaml");
        var result = MonitorConfig.Parse(yaml, "configmap:monitor.yaml", _ => null, _ => "secret");
        Assert.Empty(result.Errors);
        Assert.Equal("0.0.0.0:9747", result.Options!.Server.Listen);
        Assert.Equal("/data/monitor.db", result.Options.Storage.Sqlite);
        Assert.Contains(result.Options.Checks, c => c.Kind.Key == KubernetesCheck.Kind.Key && c.SettingsOf<KubernetesCheckOptions>().Kubeconfig is null);

        // Every secret file the config reads comes from the mounted Secret.
        var secretMount = Items(container, "volumeMounts").Single(m => Scalar(m, "name") == Scalar(Items(pod, "volumes").Single(v => v.Children.ContainsKey(new YamlScalarNode("secret"))), "name"));
        foreach (Match file in Regex.Matches(yaml, @"_file:\s*(\S+)"))
        {
            Assert.StartsWith(Scalar(secretMount, "mountPath") + "/", file.Groups[1].Value, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Kustomize_ProbesAndServicePointAtEndpointsMonitorServes()
    {
        var documents = await RenderAsync("deploy/kubernetes");
        var container = Container(documents);
        var ports = Items(container, "ports").ToDictionary(p => Scalar(p, "name"), p => int.Parse(Scalar(p, "containerPort"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(9747, ports["http"]);
        Assert.Equal("http", Scalar(Items(Map(Single(documents, "Service"), "spec"), "ports").Single(), "targetPort"));

        var probes = new[] { "startupProbe", "readinessProbe", "livenessProbe" }.Select(p => Map(Map(container, p), "httpGet")).ToList();
        Assert.All(probes, p => Assert.True(ports.ContainsKey(Scalar(p, "port")), $"probe port {Scalar(p, "port")} is not a container port"));
        Assert.Equal("/readyz", Scalar(Map(Map(container, "readinessProbe"), "httpGet"), "path"));

        await using var monitor = await MonitorProcess.StartAsync("checks: []\n");
        foreach (var probe in probes)
        {
            using var response = await monitor.Http.GetAsync(new Uri(monitor.BaseUri, Scalar(probe, "path")));
            Assert.True(response.IsSuccessStatusCode, $"{Scalar(probe, "path")} answered {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Kustomize_RbacCoversEveryRequestOfTheKubernetesCheck_AndNothingElse()
    {
        var documents = await RenderAsync("deploy/kubernetes");
        var grants = Items(Single(documents, "ClusterRole"), "rules")
            .SelectMany(r => Strings(r, "apiGroups").SelectMany(g => Strings(r, "resources").Select(res => (Group: g, Resource: res, Verbs: Strings(r, "verbs").ToHashSet()))))
            .ToList();
        Assert.All(grants, g => Assert.DoesNotContain(g.Verbs, v => v is "create" or "update" or "patch" or "delete" or "*"));
        var binding = Single(documents, "ClusterRoleBinding");
        Assert.Equal(Scalar(Map(Single(documents, "ClusterRole"), "metadata"), "name"), Scalar(Map(binding, "roleRef"), "name"));
        var subject = Items(binding, "subjects").Single();
        var deploymentPod = Map(Map(Map(Single(documents, "Deployment"), "spec"), "template"), "spec");
        Assert.Equal(Scalar(deploymentPod, "serviceAccountName"), Scalar(subject, "name"));

        // What the check asks, cluster-wide and per namespace, with discovery on.
        await using var api = await KubeApiStandIn.StartAsync();
        string dir = Tools.TempDirectory();
        string tokenFile = Path.Combine(dir, "token");
        await File.WriteAllTextAsync(tokenFile, "token-1\n");
        foreach (string[] namespaces in new[] { Array.Empty<string>(), ["shop", "ml"] })
        {
            var options = new CheckOptions
            {
                Name = "cluster",
                Kind = KubernetesCheck.Kind,
                Settings = new KubernetesCheckOptions { Kubeconfig = api.WriteKubeconfig(dir, tokenFile), Namespaces = namespaces },
                Interval = TimeSpan.FromSeconds(30),
                Timeout = TimeSpan.FromSeconds(10),
            };
            using var check = new KubernetesCheck(options, new SeriesScope(new SeriesStore(), "cluster", new Dictionary<string, string>()), TimeProvider.System, discovered: (_, _) => { });
            var run = await check.RunAsync(CancellationToken.None);
            Assert.True(run.Success, run.Error);
        }

        // And what a logs check on pods asks: the pods by label selector, and each container's log.
        api.AddPod("web", "api-1", "uid-api-1", new Dictionary<string, string> { ["app"] = "api" }, "app");
        var logsOptions = new CheckOptions
        {
            Name = "pod-errors",
            Kind = LogsCheck.Kind,
            Settings = new LogsCheckOptions
            {
                Kubernetes = new KubernetesLogsSource(api.WriteKubeconfig(dir, tokenFile), "web", "app=api", null),
                Patterns = [new LogPattern("error", "ERROR", new Regex("ERROR"))],
                StateFile = Path.Combine(dir, "pod-errors.offsets"),
            },
            Interval = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(10),
        };
        using (var logs = new LogsCheck(logsOptions, new SeriesScope(new SeriesStore(), "pod-errors", new Dictionary<string, string>())))
        {
            var run = await logs.RunAsync(CancellationToken.None);
            Assert.True(run.Success, run.Error);
        }

        List<string> requests;
        lock (api.Requests)
        {
            requests = [.. api.Requests];
        }

        Assert.NotEmpty(requests);
        var used = new HashSet<(string Group, string Resource)>();
        foreach (string request in requests)
        {
            var (group, resource, verb) = KubernetesRequest(request);
            used.Add((group, resource));
            Assert.True(grants.Any(g => g.Group == group && g.Resource == resource && g.Verbs.Contains(verb)), $"the ClusterRole does not let the check {verb} {resource} (group \"{group}\"), which it does with {request}");
        }

        Assert.Equal(used.Order().ToList(), grants.Select(g => (g.Group, g.Resource)).Distinct().Order().ToList());
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>The RBAC verb, group and resource of a GET the way the API server authorises it.</summary>
    private static (string Group, string Resource, string Verb) KubernetesRequest(string request)
    {
        var uri = new Uri("https://api" + request);
        string[] segments = uri.AbsolutePath.Trim('/').Split('/');
        // /api/v1/... is the core group; /apis/{group}/{version}/...
        string group = segments[0] == "api" ? "" : segments[1];
        var rest = segments.Skip(segments[0] == "api" ? 2 : 3).ToList();
        if (rest.Count >= 2 && rest[0] == "namespaces")
        {
            rest = rest.Skip(2).ToList();
        }

        string resource = rest[0];
        string verb = rest.Count > 1 ? "get" : uri.Query.Contains("watch=", StringComparison.Ordinal) ? "watch" : "list";
        if (rest.Count > 2)
        {
            resource += "/" + rest[2]; // a subresource such as nodes/proxy or pods/log
        }

        return (group, resource, verb);
    }

    /// <summary>.env.example with its blanks (the passwords) filled in, as a user's .env would be.</summary>
    private static readonly Dictionary<string, string> ComposeEnvironment = File.ReadAllLines(Repository.File("deploy/compose/.env.example"))
        .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
        .Select(l => l.Split('=', 2))
        .ToDictionary(kv => kv[0], kv => kv[1].Length > 0 ? kv[1] : "test-" + kv[0].ToLowerInvariant().Replace('_', '-'));

    private static Task<(int ExitCode, string Output)> ComposeDryRunAsync(IDictionary<string, string> environment) =>
        ExternalProcess.RunAsync(
            "sh",
            ["-c", $"cd '{Repository.File("deploy/compose")}' && exec '{Tools.Require("podman-compose", "podman-compose")}' --podman-path /bin/true --dry-run up -d"],
            environment: environment);

    [Fact]
    public async Task Compose_PodmanComposeReadsTheStack_AndMonitorKeepsItsStoreOnAVolume()
    {
        var (code, output) = await ComposeDryRunAsync(ComposeEnvironment);
        Assert.True(code == 0, output);
        string monitorRun = output.Split('\n').Single(l => l.Contains(" run --name=", StringComparison.Ordinal) && l.Contains("com.docker.compose.service=monitor", StringComparison.Ordinal));
        Assert.Contains("_monitor-data:/data ", monitorRun, StringComparison.Ordinal);
        Assert.Contains("-p 9747:9747", monitorRun, StringComparison.Ordinal);
        Assert.Contains($" monitor:{SelfMetrics.Version} run --config /etc/monitor/compose/monitor.yaml", monitorRun, StringComparison.Ordinal);
        Assert.Contains("-e MONITOR_API_TOKEN=test-monitor-api-token", monitorRun, StringComparison.Ordinal);
        // The Engine API for the docker check, read-only (podman-compose resolves /var/run to /run on the host side).
        Assert.Contains("/docker.sock:/var/run/docker.sock:ro ", monitorRun, StringComparison.Ordinal);
        foreach (string service in new[] { "postgres", "redis", "openproject", "gitea", "nginx" })
        {
            Assert.Contains($"com.docker.compose.service={service} ", output, StringComparison.Ordinal);
        }

        // A secret left out of .env stops the stack with the name of what is missing.
        var withoutToken = new Dictionary<string, string>(ComposeEnvironment);
        withoutToken.Remove("MONITOR_API_TOKEN");
        var (missingCode, missingOutput) = await ComposeDryRunAsync(withoutToken);
        Assert.NotEqual(0, missingCode);
        Assert.Contains("set MONITOR_API_TOKEN in .env", missingOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_MonitorConfigLoadsWithTheImageRules_AndWatchesServicesOfTheStack()
    {
        // The image's layout: the compose config in /etc/monitor/compose, the shipped rules in /etc/monitor/alerts.
        string root = Tools.TempDirectory();
        Directory.CreateDirectory(Path.Combine(root, "compose"));
        Directory.CreateDirectory(Path.Combine(root, "alerts"));
        File.Copy(Repository.File("deploy/compose/monitor.yaml"), Path.Combine(root, "compose", "monitor.yaml"));
        foreach (string rules in Directory.GetFiles(Repository.File("alerts"), "*.rules.yml"))
        {
            File.Copy(rules, Path.Combine(root, "alerts", Path.GetFileName(rules)));
        }

        var result = MonitorConfig.Load(Path.Combine(root, "compose", "monitor.yaml"), name => ComposeEnvironment.GetValueOrDefault(name));
        Assert.Empty(result.Errors);
        var (groups, ruleErrors) = Monitor.Rules.Engine.RuleEngine.Load(result.Options!);
        Assert.Empty(ruleErrors);
        Assert.NotEmpty(groups);

        var compose = new YamlStream();
        compose.Load(new StringReader(File.ReadAllText(Repository.File("deploy/compose/docker-compose.yml"))));
        var services = Map((YamlMappingNode)compose.Documents[0].RootNode, "services").Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet();
        var monitorEnvironment = Map(Map(Map((YamlMappingNode)compose.Documents[0].RootNode, "services"), "monitor"), "environment").Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet();

        var options = result.Options!;
        Assert.Contains(options.Checks, c => c.Kind.Key == PostgresCheck.Kind.Key);
        Assert.Contains(options.Checks, c => c.Kind.Key == RedisCheck.Kind.Key);
        // The containers of this stack only: the compose project is the file's name.
        var docker = options.Checks.Single(c => c.Kind.Key == DockerCheck.Kind.Key).SettingsOf<DockerCheckOptions>();
        Assert.Equal((DockerCheckOptions.DefaultSocket, Scalar((YamlMappingNode)compose.Documents[0].RootNode, "name")), (docker.Socket, docker.Project));
        foreach (var check in options.Checks)
        {
            string? host = check.Settings switch
            {
                HttpCheckOptions http => http.Url.Host,
                TcpCheckOptions tcp => tcp.Host,
                RedisCheckOptions redis => redis.Host,
                PostgresCheckOptions postgres => new Uri(postgres.Dsn.Reveal()).Host,
                _ => null,
            };
            Assert.True(host is null || services.Contains(host), $"check {check.Name} targets {host}, which is no service of the stack");
        }

        // Every ${VAR} of the config is passed to the monitor service.
        foreach (Match reference in Regex.Matches(File.ReadAllText(Repository.File("deploy/compose/monitor.yaml")), @"\$\{([A-Za-z_][A-Za-z0-9_]*)\}"))
        {
            Assert.Contains(reference.Groups[1].Value, monitorEnvironment);
        }

        Directory.Delete(root, recursive: true);
    }
}
