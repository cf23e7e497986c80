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
        map.Finish();
        return new KubernetesCheckOptions
        {
            Namespaces = namespaces,
            Kubeconfig = kubeconfig is null ? null : map.Context.ResolvePath(kubeconfig),
            Discovery = discovery,
        };
    }
}
