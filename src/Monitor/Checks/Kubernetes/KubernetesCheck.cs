using System.Text.Json;
using Monitor.Checks.Http;
using Monitor.Checks.Scrape;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.Kubernetes;

/// <summary>
/// kube-state-metrics' series for pods, containers, nodes, deployments, PVCs, statefulsets, daemonsets, HPAs,
/// jobs and cronjobs of the configured namespaces (all when none), limited to the series docs/metrics.md lists
/// so cardinality stays bounded, each node's kubelet usage through the node proxy (<see cref="KubeletUsage"/>), and
/// the namespaces' Warning events (<see cref="KubeEvents"/>).
/// Objects that go away take their series with them at the next run.
/// </summary>
internal sealed class KubernetesCheck : ICheck
{
    /// <summary>The <c>kubernetes</c> kind: kube-state-metrics' series, and discovery of annotated pods and services.</summary>
    /// <summary>The metric families a kubernetes check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new([
        "kube_pod_status_phase", "kube_pod_status_ready", "kube_pod_container_status_restarts_total", "kube_pod_container_status_waiting",
        "kube_pod_container_status_running", "kube_pod_container_status_terminated", "kube_pod_container_status_ready",
        "kube_pod_container_status_waiting_reason", "kube_pod_container_status_last_terminated_reason", "kube_node_status_condition",
        "kube_node_spec_unschedulable", "kube_persistentvolumeclaim_status_phase", "kube_deployment_spec_replicas", "kube_deployment_status_replicas_available",
        "kube_pod_owner", "kube_pod_info", "kube_pod_container_info", "kube_pod_container_resource_requests", "kube_pod_container_resource_limits",
        "kube_node_status_capacity", "kube_node_status_allocatable",
        "kube_horizontalpodautoscaler_spec_min_replicas", "kube_horizontalpodautoscaler_spec_max_replicas", "kube_horizontalpodautoscaler_status_current_replicas",
        "kube_horizontalpodautoscaler_status_desired_replicas", "kube_horizontalpodautoscaler_status_condition",
        "kube_job_status_succeeded", "kube_job_status_failed", "kube_job_status_active", "kube_job_status_completion_time", "kube_job_failed", "kube_job_owner",
        "kube_cronjob_status_last_schedule_time", "kube_cronjob_status_last_successful_time", "kube_cronjob_spec_suspend", "kube_cronjob_next_schedule_time",
        "kube_statefulset_replicas", "kube_statefulset_status_replicas_ready", "kube_daemonset_status_desired_number_scheduled", "kube_daemonset_status_number_ready",
        "monitor_kubernetes_events_total", "monitor_kubernetes_usage_success", "monitor_kubernetes_usage_series_dropped",
    ]);

    public static readonly CheckKind Kind = new("kubernetes", KubernetesCheckOptions.Read, (options, context) => new KubernetesCheck(options, context.Scope, context.Time, discovered: context.Discovered.SetDiscovered), Families)
    {
        Produces = ProducesMetric,
    };

    /// <summary>
    /// kube-state-metrics' families, the kubelet's that <c>usage_keep</c> keeps, and with discovery the HTTP series
    /// of annotated services; a discovered scrape target (<c>prometheus.io/scrape</c>) may expose anything.
    /// </summary>
    private static Production ProducesMetric(ICheckSettings settings, string metric)
    {
        if (Families.Contains(metric))
        {
            return Production.Yes;
        }

        var options = (KubernetesCheckOptions)settings;
        if (options.Usage && (options.UsageKeep ?? KubeletUsage.DefaultKeep).IsMatch(metric))
        {
            return Production.Yes;
        }

        if (!options.Discovery)
        {
            return Production.No;
        }

        return HttpCheck.Families.Contains(metric) || ScrapeCheck.Families.Contains(metric) ? Production.Yes : Production.Possibly;
    }

    private static readonly string[] PodPhases = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];
    private static readonly string[] PvcPhases = ["Lost", "Bound", "Pending"];
    private static readonly string[] ConditionStatuses = ["true", "false", "unknown"];

    private readonly KubernetesCheckOptions _kube;
    private readonly SeriesScope _scope;
    private readonly Func<KubeConnection> _connect;
    private readonly Action<string, IReadOnlyList<CheckOptions>>? _discovered;
    private readonly TimeProvider _time;
    private KubeClient? _client;
    private readonly SeriesGeneration _generation;
    private readonly KubeletUsage _usage;
    private readonly KubeEvents _events = new();
    private readonly PartSeries _parts = new();
    private List<CheckOptions> _podChecks = [];
    private List<CheckOptions> _serviceChecks = [];

    public const string HealthPathAnnotation = "monitor.io/health-path";
    public const string PortAnnotation = "monitor.io/port";
    public const string SeverityAnnotation = "monitor.io/severity";
    public const string ScrapeAnnotation = "prometheus.io/scrape";
    public const string ScrapePortAnnotation = "prometheus.io/port";
    public const string ScrapePathAnnotation = "prometheus.io/path";
    public const string ScrapeSchemeAnnotation = "prometheus.io/scheme";

    public KubernetesCheck(CheckOptions options, SeriesScope scope, TimeProvider timeProvider, Func<KubeConnection>? connect = null, Action<string, IReadOnlyList<CheckOptions>>? discovered = null)
    {
        _discovered = discovered;
        Options = options;
        _kube = options.SettingsOf<KubernetesCheckOptions>();
        _scope = scope;
        _generation = new SeriesGeneration(scope);
        _usage = new KubeletUsage(_kube);
        _time = timeProvider;
        _connect = connect ?? (() => _kube.Kubeconfig is { } path ? KubeConnection.FromKubeconfig(path) : KubeConnection.InCluster(Environment.GetEnvironmentVariable));
    }

    public CheckOptions Options { get; }

    /// <summary>The latest Warning events the last run listed, newest first, as <c>NAMESPACE/KIND/NAME: REASON: MESSAGE</c> (the daily report shows them).</summary>
    public IReadOnlyList<string> LatestEvents { get; private set; } = [];

    /// <summary>Event uids whose counts are remembered (those of the last events list).</summary>
    public int EventsRemembered => _events.Remembered;

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        var published = SeriesGeneration.NewSet();
        bool complete = false;
        List<KubeletUsage.NodeUsage> usageFailures = [];
        IReadOnlyList<string> latestEvents = [];
        int usageNodeCount = 0;
        var failures = new List<PartFailure>();
        int partsTried = 0;
        var current = published;
        void Publish(string name, string help, double value, Label[] labels) => Set(current, name, help, value, labels);

        // One resource list. Its refusal (403 from a role without it, 404 from a cluster without it) or an
        // unparsable answer is its own failure: the other lists are still read and published, and its series of
        // its last good read are kept. A connection failure is the whole check's, and ends the run.
        async Task Part(string part, Func<HashSet<Series>, Task> read)
        {
            partsTried++;
            var set = SeriesGeneration.NewSet();
            current = set;
            try
            {
                await read(set);
                _parts.Succeeded(part, set);
            }
            catch (Exception e) when (PartFailed(part, e) is { } failure)
            {
                failures.Add(failure);
                set.UnionWith(_parts.Kept(part));
            }
            finally
            {
                current = published;
                published.UnionWith(set);
            }
        }

        try
        {
            _client ??= new KubeClient(_connect(), _time);
            var podNodes = new HashSet<string>(StringComparer.Ordinal);
            await Part("pods", async set =>
            {
                var podChecks = new List<CheckOptions>();
                foreach (var pod in await ListNamespaced("pods", "/api/v1", cancellationToken))
                {
                    PublishPod(pod, set);
                    KubeStateFamilies.Pod(pod, Publish);
                    if (pod.TryGetProperty("spec", out var podSpec) && podSpec.TryGetProperty("nodeName", out var nodeName) && nodeName.GetString() is { Length: > 0 } onNode)
                    {
                        podNodes.Add(onNode);
                    }

                    if (Discover(pod, "pod") is { } check)
                    {
                        podChecks.Add(check);
                    }

                    if (DiscoverScrape(pod, "pod") is { } scrape)
                    {
                        podChecks.Add(scrape);
                    }
                }

                _podChecks = podChecks;
            });

            if (_kube.Discovery && _discovered is not null)
            {
                await Part("services", async _ =>
                {
                    var serviceChecks = new List<CheckOptions>();
                    foreach (var service in await ListNamespaced("services", "/api/v1", cancellationToken))
                    {
                        if (Discover(service, "service") is { } check)
                        {
                            serviceChecks.Add(check);
                        }

                        if (DiscoverScrape(service, "service") is { } scrape)
                        {
                            serviceChecks.Add(scrape);
                        }
                    }

                    _serviceChecks = serviceChecks;
                });

                // A list that failed keeps the checks it discovered last time.
                _discovered(Options.Name, [.. _podChecks, .. _serviceChecks]);
            }

            var nodes = new List<string>();
            await Part("nodes", async set =>
            {
                foreach (var node in await _client.ListAsync("/api/v1/nodes", "nodes", cancellationToken))
                {
                    PublishNode(node, set);
                    KubeStateFamilies.Node(node, Publish);
                    nodes.Add(Meta(node, "name"));
                }
            });

            await Part("persistentvolumeclaims", async set =>
            {
                foreach (var pvc in await ListNamespaced("persistentvolumeclaims", "/api/v1", cancellationToken))
                {
                    var labels = new[] { new Label("namespace", Meta(pvc, "namespace")), new Label("persistentvolumeclaim", Meta(pvc, "name")) };
                    string phase = Str(pvc, "status", "phase");
                    foreach (string p in PvcPhases)
                    {
                        Set(set, "kube_persistentvolumeclaim_status_phase", "The phase the persistent volume claim is currently in.", p == phase ? 1 : 0, [.. labels, new("phase", p)]);
                    }
                }
            });

            await Part("deployments", async set =>
            {
                foreach (var deployment in await ListNamespaced("deployments", "/apis/apps/v1", cancellationToken))
                {
                    Label[] labels = [new("namespace", Meta(deployment, "namespace")), new("deployment", Meta(deployment, "name"))];
                    Set(set, "kube_deployment_spec_replicas", "Number of desired pods for a deployment.", Num(deployment, "spec", "replicas") ?? 1, labels);
                    Set(set, "kube_deployment_status_replicas_available", "The number of available replicas per deployment.", Num(deployment, "status", "availableReplicas") ?? 0, labels);
                }
            });

            await Part("horizontalpodautoscalers", async _ =>
            {
                foreach (var hpa in await ListNamespaced("horizontalpodautoscalers", "/apis/autoscaling/v2", cancellationToken))
                {
                    KubeStateFamilies.Hpa(hpa, Publish);
                }
            });

            await Part("jobs", async _ =>
            {
                foreach (var job in await ListNamespaced("jobs", "/apis/batch/v1", cancellationToken))
                {
                    KubeStateFamilies.Job(job, Publish);
                }
            });

            await Part("cronjobs", async _ =>
            {
                foreach (var cronJob in await ListNamespaced("cronjobs", "/apis/batch/v1", cancellationToken))
                {
                    KubeStateFamilies.CronJob(cronJob, Publish);
                }
            });

            await Part("statefulsets", async _ =>
            {
                foreach (var statefulSet in await ListNamespaced("statefulsets", "/apis/apps/v1", cancellationToken))
                {
                    KubeStateFamilies.StatefulSet(statefulSet, Publish);
                }
            });

            await Part("daemonsets", async _ =>
            {
                foreach (var daemonSet in await ListNamespaced("daemonsets", "/apis/apps/v1", cancellationToken))
                {
                    KubeStateFamilies.DaemonSet(daemonSet, Publish);
                }
            });

            if (_kube.Events)
            {
                await Part("events", async set =>
                {
                    latestEvents = await _events.CollectAsync(_client, EffectiveNamespaces(), _scope, set, cancellationToken);
                    LatestEvents = latestEvents;
                });
            }

            if (_kube.Usage)
            {
                // With namespaces listed, only the nodes their pods run on can have their usage.
                var namespaces = EffectiveNamespaces();
                var usageNodes = namespaces.Count == 0 ? nodes : nodes.Where(podNodes.Contains).ToList();
                usageNodeCount = usageNodes.Count;
                usageFailures = await _usage.CollectAsync(_client, usageNodes, namespaces, _scope, published, cancellationToken);
            }

            complete = true;
        }
        catch (ProbeException e)
        {
            return CheckResult.Fail(e.Reason, e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or OperationCanceledException or System.Security.Cryptography.CryptographicException or KeyNotFoundException or InvalidOperationException or UnauthorizedAccessException)
        {
            return e is JsonException or KeyNotFoundException or InvalidOperationException
                ? CheckResult.Fail(FailureReasons.Parse, $"unexpected answer from the API server: {e.Message}")
                : ProbeNetwork.Classify(e, cancellationToken.IsCancellationRequested);
        }
        finally
        {
            // Objects that no longer exist take their series along; a failed run removes nothing (nor does a failed
            // part: its last series are in the published set).
            if (complete)
            {
                _generation.Retain(published);
            }
            else
            {
                _generation.Extend(published);
            }
        }

        var partsResult = CheckResult.FromParts(failures, partsTried);
        if (!partsResult.Success)
        {
            return partsResult with { Details = latestEvents };
        }

        if (usageFailures.Count > 0)
        {
            // The first few in full (a role without nodes/proxy fails every node the same way), then a count.
            string nodesFailed = string.Join("; ", usageFailures.Take(5).Select(f => $"node {f.Node}: {f.Error}"))
                + (usageFailures.Count > 5 ? $"; and {usageFailures.Count - 5} more" : string.Empty);
            string message = $"kubelet usage of {usageFailures.Count} node(s) could not be read (the other series are published): {nodesFailed}";

            // One node down (NotReady, a kubelet restarting) is the node's alert, not the check's: the check fails only
            // when no node's usage could be read (a role without nodes/proxy, a proxy that is off) and says so otherwise.
            if (usageFailures.Count == usageNodeCount || usageFailures.Any(f => f.Forbidden))
            {
                return CheckResult.Fail(usageFailures.Any(f => f.Forbidden) ? FailureReasons.Auth : FailureReasons.Status, message) with { Details = latestEvents };
            }

            return CheckResult.Ok with { Details = [message, .. latestEvents] };
        }

        return latestEvents.Count == 0 ? CheckResult.Ok : CheckResult.Ok with { Details = latestEvents };
    }

    /// <summary>A failure that is one resource list's own (refused, missing, unparsable); null for the whole check's.</summary>
    private static PartFailure? PartFailed(string part, Exception e) => e switch
    {
        ProbeException { Reason: FailureReasons.Auth or FailureReasons.Status or FailureReasons.Parse } pe => new PartFailure(part, pe.Reason, pe.Message),
        JsonException or KeyNotFoundException or InvalidOperationException => new PartFailure(part, FailureReasons.Parse, $"unexpected answer from the API server: {e.Message}"),
        _ => null,
    };

    /// <summary>
    /// A pod or service annotated <c>monitor.io/health-path</c> becomes an HTTP check named
    /// <c>CHECK/NAMESPACE/KIND/NAME</c>, labelled with its namespace, pod or service and optional severity.
    /// </summary>
    private CheckOptions? Discover(JsonElement item, string kind)
    {
        if (!_kube.Discovery || _discovered is null || !item.GetProperty("metadata").TryGetProperty("annotations", out var annotations)
            || !annotations.TryGetProperty(HealthPathAnnotation, out var pathValue) || pathValue.GetString() is not { Length: > 0 } path)
        {
            return null;
        }

        return Target(item, kind, annotations, PortAnnotation, "http", path) is { } url
            ? Discovered(item, kind, annotations, HttpCheck.Kind, new HttpCheckOptions { Url = url }, string.Empty, url)
            : null;
    }

    /// <summary>The check a pod or service gives: named after it, labelled with its namespace, name and optional severity.</summary>
    private CheckOptions Discovered(JsonElement item, string kind, JsonElement annotations, CheckKind checkKind, ICheckSettings settings, string suffix, Uri url)
    {
        string ns = Meta(item, "namespace");
        string name = Meta(item, "name");
        var labels = new Dictionary<string, string>(Options.Labels) { ["namespace"] = ns, [kind] = name };
        if (annotations.TryGetProperty(SeverityAnnotation, out var severity) && severity.GetString() is { Length: > 0 } sev)
        {
            labels["severity"] = sev;
        }

        return new CheckOptions
        {
            Name = $"{Options.Name}/{ns}/{kind}/{name}{(suffix.Length > 0 ? "/" + suffix : string.Empty)}",
            Kind = checkKind,
            Settings = settings,
            Interval = Options.Interval,
            Timeout = Options.Timeout,
            Labels = labels,
            Origin = $"discovered by {Options.Name}",
            Fingerprint = $"discovered|{(suffix.Length > 0 ? suffix + "|" : string.Empty)}{url}|{string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))}|{Options.Interval.Ticks}|{Options.Timeout.Ticks}",
        };
    }

    /// <summary>
    /// A pod or service annotated <c>prometheus.io/scrape: "true"</c> becomes a scrape check named
    /// <c>CHECK/NAMESPACE/KIND/NAME/scrape</c> (beside the HTTP check the same object may also have), of
    /// <c>SCHEME://HOST:PORT/PATH</c> from <c>prometheus.io/scheme</c> (http), the pod's IP or the service's
    /// <c>NAME.NAMESPACE.svc</c>, <c>prometheus.io/port</c> (the first container or service port) and
    /// <c>prometheus.io/path</c> (<c>/metrics</c>); labelled with its namespace, pod or service and optional severity.
    /// </summary>
    private CheckOptions? DiscoverScrape(JsonElement item, string kind)
    {
        if (!_kube.Discovery || _discovered is null || !item.GetProperty("metadata").TryGetProperty("annotations", out var annotations)
            || !annotations.TryGetProperty(ScrapeAnnotation, out var scrapeValue) || !string.Equals(scrapeValue.GetString(), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string path = annotations.TryGetProperty(ScrapePathAnnotation, out var pathValue) && pathValue.GetString() is { Length: > 0 } p ? p : "/metrics";
        string scheme = annotations.TryGetProperty(ScrapeSchemeAnnotation, out var schemeValue) && schemeValue.GetString() is { Length: > 0 } sc ? sc.ToLowerInvariant() : "http";
        if (scheme is not ("http" or "https"))
        {
            return null;
        }

        return Target(item, kind, annotations, ScrapePortAnnotation, scheme, path) is { } url
            ? Discovered(item, kind, annotations, ScrapeCheck.Kind, new ScrapeCheckOptions { Url = url }, "scrape", url)
            : null;
    }

    /// <summary>
    /// The URL of a discovered check: a pod's IP while it is Running, a service's <c>NAME.NAMESPACE.svc</c>; the port
    /// annotation, else the first container port (pods) or service port. Null when there is none yet.
    /// </summary>
    private static Uri? Target(JsonElement item, string kind, JsonElement annotations, string portAnnotation, string scheme, string path)
    {
        string ns = Meta(item, "namespace");
        string name = Meta(item, "name");
        string? host;
        int? port = annotations.TryGetProperty(portAnnotation, out var portValue) && int.TryParse(portValue.GetString(), System.Globalization.CultureInfo.InvariantCulture, out int p) ? p : null;
        if (kind == "pod")
        {
            host = Str(item, "status", "podIP") is { Length: > 0 } ip && Str(item, "status", "phase") == "Running" ? ip : null;
            port ??= item.GetProperty("spec").GetProperty("containers").EnumerateArray()
                .SelectMany(c => c.TryGetProperty("ports", out var ports) ? ports.EnumerateArray() : Enumerable.Empty<JsonElement>())
                .Select(cp => cp.TryGetProperty("containerPort", out var v) ? v.GetInt32() : (int?)null).FirstOrDefault(v => v is not null);
        }
        else
        {
            host = $"{name}.{ns}.svc";
            port ??= item.TryGetProperty("spec", out var spec) && spec.TryGetProperty("ports", out var ports)
                ? ports.EnumerateArray().Select(sp => sp.TryGetProperty("port", out var v) ? v.GetInt32() : (int?)null).FirstOrDefault(v => v is not null)
                : null;
        }

        return host is null || port is null || !Uri.TryCreate($"{scheme}://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}{(path.StartsWith('/') ? path : "/" + path)}", UriKind.Absolute, out var url)
            ? null
            : url;
    }

    /// <summary>The namespaces watched (empty: all): unset, the kubeconfig context's namespace if it names one (as kubectl does), else all; "*": all.</summary>
    private IReadOnlyList<string> EffectiveNamespaces()
    {
        IReadOnlyList<string> namespaces = _kube.Namespaces.Count > 0 ? _kube.Namespaces : _client!.Namespace is { } contextNamespace ? [contextNamespace] : [];
        return namespaces.Contains("*") ? [] : namespaces;
    }

    private async Task<List<JsonElement>> ListNamespaced(string resource, string group, CancellationToken cancellationToken)
    {
        var namespaces = EffectiveNamespaces();
        if (namespaces.Count == 0)
        {
            return await _client!.ListAsync($"{group}/{resource}", resource, cancellationToken);
        }

        var all = new List<JsonElement>();
        foreach (string ns in namespaces)
        {
            all.AddRange(await _client!.ListAsync($"{group}/namespaces/{Uri.EscapeDataString(ns)}/{resource}", $"{resource} in namespace {ns}", cancellationToken));
        }

        return all;
    }

    private void PublishPod(JsonElement pod, HashSet<Series> published)
    {
        Label[] labels = [new("namespace", Meta(pod, "namespace")), new("pod", Meta(pod, "name")), new("uid", Meta(pod, "uid"))];
        string phase = Str(pod, "status", "phase");
        foreach (string p in PodPhases)
        {
            Set(published, "kube_pod_status_phase", "The pods current phase.", p == phase ? 1 : 0, [.. labels, new("phase", p)]);
        }

        string ready = "unknown";
        if (pod.TryGetProperty("status", out var status) && status.TryGetProperty("conditions", out var conditions))
        {
            foreach (var condition in conditions.EnumerateArray())
            {
                if (condition.GetProperty("type").GetString() == "Ready")
                {
                    ready = (condition.GetProperty("status").GetString() ?? "Unknown").ToLowerInvariant();
                }
            }
        }

        foreach (string c in ConditionStatuses)
        {
            Set(published, "kube_pod_status_ready", "Describes whether the pod is ready to serve requests.", c == ready ? 1 : 0, [.. labels, new("condition", c)]);
        }

        if (status.ValueKind != JsonValueKind.Object || !status.TryGetProperty("containerStatuses", out var containers) || containers.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var container in containers.EnumerateArray())
        {
            Label[] c = [.. labels, new("container", container.GetProperty("name").GetString() ?? string.Empty)];
            var state = container.TryGetProperty("state", out var s) ? s : default;
            bool Has(string key) => state.ValueKind == JsonValueKind.Object && state.TryGetProperty(key, out _);
            Set(published, "kube_pod_container_status_restarts_total", "The number of container restarts per container.", container.TryGetProperty("restartCount", out var rc) ? rc.GetDouble() : 0, c, counter: true);
            Set(published, "kube_pod_container_status_waiting", "Describes whether the container is currently in waiting state.", Has("waiting") ? 1 : 0, c);
            Set(published, "kube_pod_container_status_running", "Describes whether the container is currently in running state.", Has("running") ? 1 : 0, c);
            Set(published, "kube_pod_container_status_terminated", "Describes whether the container is currently in terminated state.", Has("terminated") ? 1 : 0, c);
            Set(published, "kube_pod_container_status_ready", "Describes whether the containers readiness check succeeded.", container.TryGetProperty("ready", out var r) && r.ValueKind == JsonValueKind.True ? 1 : 0, c);
            if (Has("waiting") && state.GetProperty("waiting").TryGetProperty("reason", out var reason) && reason.GetString() is { Length: > 0 } waitingReason)
            {
                Set(published, "kube_pod_container_status_waiting_reason", "Describes the reason the container is currently in waiting state.", 1, [.. c, new("reason", waitingReason)]);
            }

            if (container.TryGetProperty("lastState", out var last) && last.TryGetProperty("terminated", out var terminated) && terminated.TryGetProperty("reason", out var lastReason) && lastReason.GetString() is { Length: > 0 } terminatedReason)
            {
                Set(published, "kube_pod_container_status_last_terminated_reason", "Describes the last reason the container was in terminated state.", 1, [.. c, new("reason", terminatedReason)]);
            }
        }
    }

    private void PublishNode(JsonElement node, HashSet<Series> published)
    {
        var name = new Label("node", Meta(node, "name"));
        Set(published, "kube_node_spec_unschedulable", "Whether a node can schedule new pods.", node.TryGetProperty("spec", out var spec) && spec.TryGetProperty("unschedulable", out var u) && u.ValueKind == JsonValueKind.True ? 1 : 0, [name]);
        if (!node.TryGetProperty("status", out var status) || !status.TryGetProperty("conditions", out var conditions))
        {
            return;
        }

        foreach (var condition in conditions.EnumerateArray())
        {
            string type = condition.GetProperty("type").GetString() ?? string.Empty;
            string value = (condition.GetProperty("status").GetString() ?? "Unknown").ToLowerInvariant();
            foreach (string c in ConditionStatuses)
            {
                Set(published, "kube_node_status_condition", "The condition of a cluster node.", c == value ? 1 : 0, [name, new("condition", type), new("status", c)]);
            }
        }
    }

    private void Set(HashSet<Series> published, string name, string help, double value, Label[] labels, bool counter = false)
    {
        var series = counter ? _scope.Counter(name, help, labels) : _scope.Gauge(name, help, labels);
        series.Set(value);
        published.Add(series);
    }

    private static string Meta(JsonElement item, string field) =>
        item.GetProperty("metadata").TryGetProperty(field, out var v) ? v.GetString() ?? string.Empty : string.Empty;

    private static string Str(JsonElement item, string section, string field) =>
        item.TryGetProperty(section, out var s) && s.TryGetProperty(field, out var v) ? v.GetString() ?? string.Empty : string.Empty;

    private static double? Num(JsonElement item, string section, string field) =>
        item.TryGetProperty(section, out var s) && s.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public void Dispose() => _client?.Dispose();
}
