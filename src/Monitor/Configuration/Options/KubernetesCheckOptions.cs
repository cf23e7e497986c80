namespace Monitor.Configuration;

internal sealed record KubernetesCheckOptions
{
    /// <summary>Namespaces to watch. <value>Default: all.</value></summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>kubeconfig file. <value>Default: in-cluster service account.</value></summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Turn pods and services annotated <c>monitor.io/health-path</c> into HTTP checks. <value>Default true.</value></summary>
    public bool Discovery { get; init; } = true;
}
