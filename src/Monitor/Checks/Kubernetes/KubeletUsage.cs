using System.Text.RegularExpressions;
using Monitor.Checks.Scrape;
using Monitor.Metrics;

namespace Monitor.Checks.Kubernetes;

/// <summary>
/// Resource usage as dashboards name it: each node's kubelet <c>/metrics/cadvisor</c> and <c>/metrics</c>
/// through the API server's node proxy (<c>nodes/proxy</c> get), parsed with the scrape check's exposition
/// parser and re-exposed with their own labels plus <c>node</c>. Only families matching <c>keep</c>, only
/// samples of the check's namespaces (when it lists some), at most <c>usage_max_series</c> per node (the rest
/// counted in <c>monitor_kubernetes_usage_series_dropped</c>). Nodes are fetched a few at a time; a node that
/// fails keeps its last series and is named in the result, and the other nodes are published all the same.
/// </summary>
internal sealed class KubeletUsage
{
    /// <summary>The families kept when the check gives no <c>usage_keep</c>.</summary>
    public const string DefaultKeepPattern =
        "container_cpu_usage_seconds_total|container_memory_working_set_bytes|container_oom_events_total|container_cpu_cfs_throttled_periods_total|container_cpu_cfs_periods_total"
        + "|kubelet_volume_stats_used_bytes|kubelet_volume_stats_capacity_bytes|kubelet_volume_stats_available_bytes|kubelet_volume_stats_inodes|kubelet_volume_stats_inodes_used|kubelet_volume_stats_inodes_free";

    public static readonly Regex DefaultKeep = new($"^(?:{DefaultKeepPattern})$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture);

    private static readonly string[] Endpoints = ["metrics/cadvisor", "metrics"];

    private readonly KubernetesCheckOptions _options;

    /// <summary>What each node published at its last success, carried over while it fails.</summary>
    private readonly Dictionary<string, List<Series>> _lastByNode = new(StringComparer.Ordinal);

    public KubeletUsage(KubernetesCheckOptions options) => _options = options;

    /// <summary>One node's outcome: its kept samples, how many were dropped by the cap, or why it failed.</summary>
    internal sealed record NodeUsage(string Node, List<(ParsedFamily Family, ParsedSample Sample)> Samples, int Dropped, string? Error, bool Forbidden);

    /// <summary>Fetches and filters every node (bounded concurrency), then publishes; returns the failed nodes' errors.</summary>
    public async Task<List<NodeUsage>> CollectAsync(KubeClient client, IReadOnlyCollection<string> nodes, IReadOnlyList<string> namespaces, SeriesScope scope, HashSet<Series> published, CancellationToken cancellationToken)
    {
        var results = new NodeUsage[nodes.Count];
        var indexed = nodes.Select((node, index) => (node, index));
        await Parallel.ForEachAsync(indexed, new ParallelOptions { MaxDegreeOfParallelism = _options.UsageConcurrency, CancellationToken = cancellationToken }, async (entry, token) =>
        {
            results[entry.index] = await FetchAsync(client, entry.node, namespaces, token);
        });

        var failed = new List<NodeUsage>();
        foreach (var result in results)
        {
            Label node = new("node", result.Node);
            var up = scope.Gauge("monitor_kubernetes_usage_success", "1 when the node's kubelet metrics were read through the API server's node proxy at the last run, 0 when that failed.", node);
            up.Set(result.Error is null ? 1 : 0);
            published.Add(up);
            if (result.Error is not null)
            {
                failed.Add(result);
                if (_lastByNode.TryGetValue(result.Node, out var last))
                {
                    published.UnionWith(last);
                }

                continue;
            }

            var dropped = scope.Gauge("monitor_kubernetes_usage_series_dropped", "Kubelet usage samples of the node left out at the last run, over the check's usage_max_series.", node);
            dropped.Set(result.Dropped);
            published.Add(dropped);
            var mine = new List<Series>(result.Samples.Count);
            foreach (var (family, sample) in result.Samples)
            {
                Sample series;
                try
                {
                    series = Publish(scope, family, sample);
                }
                catch (InvalidOperationException)
                {
                    continue; // a family of that name with another type exists; the scrape check reports those, here they are left out
                }

                published.Add(series);
                mine.Add(series);
            }

            _lastByNode[result.Node] = mine;
        }

        foreach (string gone in _lastByNode.Keys.Where(n => !nodes.Contains(n)).ToList())
        {
            _lastByNode.Remove(gone);
        }

        return failed;
    }

    private static Sample Publish(SeriesScope scope, ParsedFamily family, ParsedSample sample)
    {
        var series = family.Type switch
        {
            MetricType.Counter => scope.Counter(family.Name, family.Help, sample.Labels),
            MetricType.Gauge => scope.Gauge(family.Name, family.Help, sample.Labels),
            _ => scope.Untyped(family.Name, family.Help, sample.Labels),
        };
        series.Set(sample.Value);
        return series;
    }

    private async Task<NodeUsage> FetchAsync(KubeClient client, string node, IReadOnlyList<string> namespaces, CancellationToken cancellationToken)
    {
        var kept = new List<(ParsedFamily, ParsedSample)>();
        int dropped = 0;
        foreach (string endpoint in Endpoints)
        {
            string path = $"/api/v1/nodes/{Uri.EscapeDataString(node)}/proxy/{endpoint}";
            List<ParsedFamily> families;
            try
            {
                families = ExpositionParser.Parse(await client.GetTextAsync(path, "nodes/proxy", cancellationToken), openMetrics: false);
            }
            catch (ProbeException e)
            {
                return new NodeUsage(node, [], 0, $"{path}: {e.Message}", e.Reason == FailureReasons.Auth);
            }
            catch (ExpositionParseException e)
            {
                return new NodeUsage(node, [], 0, $"{path}: text 0.0.4: {e.Message}", false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return new NodeUsage(node, [], 0, $"{path}: {e.Message}", false);
            }

            foreach (var family in families)
            {
                if (family.Type is MetricType.Histogram or MetricType.Summary || !(_options.UsageKeep ?? DefaultKeep).IsMatch(family.Name))
                {
                    continue;
                }

                foreach (var sample in family.Samples)
                {
                    if (!InNamespaces(sample.Labels, namespaces))
                    {
                        continue;
                    }

                    if (kept.Count >= _options.UsageMaxSeries)
                    {
                        dropped++;
                        continue;
                    }

                    var labels = sample.Labels.Any(l => l.Name == "node") ? sample.Labels : [.. sample.Labels, new Label("node", node)];
                    kept.Add((family, sample with { Labels = labels }));
                }
            }
        }

        return new NodeUsage(node, kept, dropped, null, false);
    }

    private static bool InNamespaces(Label[] labels, IReadOnlyList<string> namespaces)
    {
        if (namespaces.Count == 0)
        {
            return true;
        }

        foreach (var label in labels)
        {
            if (label.Name == "namespace")
            {
                return namespaces.Contains(label.Value);
            }
        }

        return false;
    }
}
