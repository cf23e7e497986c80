using Monitor.Configuration;

namespace Monitor.Checks.Kubernetes;

/// <summary>The <c>kubernetes</c> section of a check.</summary>
internal sealed record KubernetesCheckOptions : ICheckSettings
{
    /// <summary>Namespaces to watch; <c>*</c> is all. <value>Default: the kubeconfig context's namespace, else all.</value></summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>kubeconfig file. <value>Default: in-cluster service account.</value></summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Turn pods and services annotated <c>monitor.io/health-path</c> into HTTP checks. <value>Default true.</value></summary>
    public bool Discovery { get; init; } = true;

    /// <summary>Read each node's kubelet usage (cAdvisor and volume stats) through the node proxy. <value>Default true.</value></summary>
    public bool Usage { get; init; } = true;

    /// <summary>Count the namespaces' Warning events as <c>monitor_kubernetes_events_total</c>. <value>Default true.</value></summary>
    public bool Events { get; init; } = true;

    /// <summary>Kubelet families kept (fully anchored). <value>Default: <see cref="KubeletUsage.DefaultKeepPattern"/>.</value></summary>
    public System.Text.RegularExpressions.Regex? UsageKeep { get; init; }

    /// <summary>Kubelet samples kept per node; the rest are counted as dropped. <value>Default 10000.</value></summary>
    public int UsageMaxSeries { get; init; } = 10_000;

    /// <summary>Nodes read at the same time. <value>Default 8.</value></summary>
    public int UsageConcurrency { get; init; } = 8;

    public string Target => Kubeconfig ?? "in-cluster";

    public static KubernetesCheckOptions Read(YamlMap? map)
    {
        if (map is null)
        {
            return new KubernetesCheckOptions();
        }

        var namespaces = map.Strings("namespaces") ?? [];
        string? kubeconfig = map.String("kubeconfig");
        bool discovery = map.Bool("discovery") ?? true;
        bool usage = map.Bool("usage") ?? true;
        bool events = map.Bool("events") ?? true;
        var usageKeep = map.AnchoredRegex("usage_keep");
        long usageMaxSeries = map.Integer("usage_max_series", 1, 1_000_000) ?? 10_000;
        long usageConcurrency = map.Integer("usage_concurrency", 1, 64) ?? 8;
        map.Finish();
        return new KubernetesCheckOptions
        {
            Namespaces = namespaces,
            Kubeconfig = kubeconfig is null ? null : map.Context.ResolvePath(kubeconfig),
            Discovery = discovery,
            Usage = usage,
            Events = events,
            UsageKeep = usageKeep,
            UsageMaxSeries = (int)usageMaxSeries,
            UsageConcurrency = (int)usageConcurrency,
        };
    }
}
