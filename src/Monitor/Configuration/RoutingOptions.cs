namespace Monitor.Configuration;

internal sealed record RoutingOptions
{
    /// <summary>Labels that group alerts into one notification. <value>Default <c>[alertname, service]</c>.</value></summary>
    public IReadOnlyList<string> GroupBy { get; init; } = ["alertname", "service"];

    /// <summary>Wait before the first notification of a new group. <value>Default 30s.</value></summary>
    public TimeSpan GroupWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Wait before notifying a group about alerts added to it. <value>Default 5m.</value></summary>
    public TimeSpan GroupInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>First match wins and overrides the severity's <c>notify</c>.</summary>
    public IReadOnlyList<RouteOptions> Routes { get; init; } = [];
}
