using Monitor.Delivery.Reports;
using Monitor.Metrics;
using Monitor.Scheduling;

namespace Monitor.Hosting;

/// <summary>
/// The facts a report reads, taken from the scheduler's check states and from the series the checks publish under
/// their exporters' names (node_exporter's filesystems, nvidia_gpu_exporter's GPUs, postgres_exporter's databases).
/// </summary>
internal sealed class StatusReadModel(CheckScheduler scheduler, SeriesStore series) : IReportSource
{
    public ReportFacts Facts()
    {
        var checks = scheduler.Checks;
        var down = checks.Where(c => c.Status.Success == false).Select(c => new CheckDown(c.Options.Name, c.Status.Reason, c.Status.Error)).ToList();
        var breaches = Values("monitor_alert_sla_breaches_total").Select(v => new SlaBreachCount(Get(v.Labels, "severity"), Get(v.Labels, "kind"), v.Value)).ToList();

        var avail = Values("node_filesystem_avail_bytes").ToDictionary(v => Key(v.Labels, "check", "mountpoint"), v => v.Value);
        var disks = Values("node_filesystem_size_bytes")
            .Where(v => v.Value > 0 && avail.ContainsKey(Key(v.Labels, "check", "mountpoint")))
            .Select(v => new DiskUse(Get(v.Labels, "check"), Get(v.Labels, "mountpoint"), 1 - (avail[Key(v.Labels, "check", "mountpoint")] / v.Value)))
            .ToList();

        // The GPU's name is a label of nvidia_smi_gpu_info only; its usage series carry the uuid.
        var names = (series.Find("nvidia_smi_gpu_info")?.Snapshot ?? []).OfType<Sample>()
            .GroupBy(s => Key(s.Labels, "check", "uuid"))
            .ToDictionary(g => g.Key, g => Get(g.First().Labels, "name"));
        var gpus = Values("nvidia_smi_utilization_gpu_ratio")
            .Select(v => new GpuUse(Get(v.Labels, "check"), names.GetValueOrDefault(Key(v.Labels, "check", "uuid")) ?? Get(v.Labels, "name"), Get(v.Labels, "uuid"), v.Value))
            .ToList();
        var databases = Values("pg_database_size_bytes").Select(v => new DatabaseSize(Get(v.Labels, "check"), Get(v.Labels, "datname"), v.Value)).ToList();
        var events = Values("monitor_kubernetes_events_total")
            .Where(v => v.Value > 0)
            .Select(v => new WarningEventCount(Get(v.Labels, "check"), Get(v.Labels, "namespace"), Get(v.Labels, "kind"), Get(v.Labels, "reason"), v.Value))
            .ToList();
        var latest = checks.Select(c => c.Check).OfType<Monitor.Checks.Kubernetes.KubernetesCheck>().SelectMany(k => k.LatestEvents.Select(e => $"{k.Options.Name}: {e}")).ToList();
        return new ReportFacts(checks.Count, down, breaches, disks, gpus, databases) { WarningEvents = events, LatestWarningEvents = latest };
    }

    private IEnumerable<(Label[] Labels, double Value)> Values(string family) =>
        series.Find(family)?.Snapshot.OfType<Sample>().Where(s => double.IsFinite(s.Value)).Select(s => (s.Labels, s.Value)) ?? [];

    private static string Get(Label[] labels, string name) => labels.FirstOrDefault(l => l.Name == name).Value ?? "";

    private static string Key(Label[] labels, params string[] names) => string.Join("\u0001", names.Select(n => Get(labels, n)));
}
