namespace Monitor.Configuration;

internal sealed record AlertmanagerReceiverOptions
{
    /// <summary>Every Alertmanager of the cluster (never a load balancer).</summary>
    public required IReadOnlyList<Uri> Urls { get; init; }
}
