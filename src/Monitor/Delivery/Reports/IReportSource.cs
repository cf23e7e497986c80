namespace Monitor.Delivery.Reports;

/// <summary>
/// What a report reads of what Monitor collects: a small read model, so reports know neither the scheduler nor
/// the series store (Hosting implements it over both).
/// </summary>
internal interface IReportSource
{
    ReportFacts Facts();
}

/// <summary>The figures of one report, unsorted; the builder picks and orders.</summary>
internal sealed record ReportFacts(
    int Checks,
    IReadOnlyList<CheckDown> Down,
    IReadOnlyList<SlaBreachCount> SlaBreaches,
    IReadOnlyList<DiskUse> Disks,
    IReadOnlyList<GpuUse> Gpus,
    IReadOnlyList<DatabaseSize> Databases)
{
    public static ReportFacts None { get; } = new(0, [], [], [], [], []);

    /// <summary>Kubernetes Warning events counted since start, by check, namespace, kind and reason.</summary>
    public IReadOnlyList<WarningEventCount> WarningEvents { get; init; } = [];

    /// <summary>The latest Warning events of each Kubernetes check, newest first.</summary>
    public IReadOnlyList<string> LatestWarningEvents { get; init; } = [];
}

internal sealed record WarningEventCount(string Check, string Namespace, string Kind, string Reason, double Count);

internal sealed record CheckDown(string Check, string? Reason, string? Error);

internal sealed record SlaBreachCount(string Severity, string Kind, double Count);

internal sealed record DiskUse(string Check, string Mountpoint, double UsedRatio);

internal sealed record GpuUse(string Check, string Name, string Uuid, double Busy);

internal sealed record DatabaseSize(string Check, string Database, double Bytes);
