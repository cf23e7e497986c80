using System.Globalization;
using System.Text;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Scheduling;

namespace Monitor.Delivery.Reports;

/// <summary>
/// The runbooks' 09:00 / 18:00 checklist as one summary: checks down, active alerts by severity, SLA breaches,
/// the fullest disks, the busiest GPUs and the largest databases, read from what Monitor already collects.
/// </summary>
internal static class ReportBuilder
{
    private const int Top = 5;

    public static string Build(string name, DateTimeOffset at, TimeZoneInfo zone, IReadOnlyList<ScheduledCheck> checks, IReadOnlyList<AlertRecord> alerts, SeriesStore series)
    {
        var text = new StringBuilder();
        var local = TimeZoneInfo.ConvertTime(at, zone);
        text.AppendLine(CultureInfo.InvariantCulture, $"Monitor report {name}: {local:yyyy-MM-dd HH:mm} ({zone.Id})");
        text.AppendLine();

        var down = checks.Where(c => c.Status.Success == false).ToList();
        text.AppendLine(CultureInfo.InvariantCulture, $"Checks down: {down.Count} of {checks.Count}");
        foreach (var check in down.Take(20))
        {
            string line = $"  - {check.Options.Name}: {check.Status.Reason} {check.Status.Error}";
            text.AppendLine(line.TrimEnd());
        }

        text.AppendLine();
        text.AppendLine("Active alerts:");
        foreach (var severity in Enum.GetValues<Severity>())
        {
            var of = alerts.Where(a => a.Severity == severity && a.Status == AlertStatus.Firing).ToList();
            text.AppendLine(CultureInfo.InvariantCulture, $"  {severity}: {of.Count} firing ({of.Count(a => a.AckedAt is not null)} acknowledged)");
            foreach (var alert in of.Take(Top))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"    - {alert.AlertName} {string.Join(" ", alert.Labels.Where(l => l.Key is not ("alertname" or "severity")).Select(l => $"{l.Key}={l.Value}"))}");
            }
        }

        text.AppendLine();
        text.AppendLine("SLA breaches since start:");
        var breaches = Values(series, "monitor_alert_sla_breaches_total").Where(v => v.Value > 0).ToList();
        if (breaches.Count == 0)
        {
            text.AppendLine("  none");
        }

        foreach (var (labels, value) in breaches)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {Get(labels, "severity")} {Get(labels, "kind")}: {value}");
        }

        var avail = Values(series, "node_filesystem_avail_bytes").ToDictionary(v => Key(v.Labels, "check", "mountpoint"), v => v.Value);
        var disks = Values(series, "node_filesystem_size_bytes")
            .Where(v => v.Value > 0 && avail.ContainsKey(Key(v.Labels, "check", "mountpoint")))
            .Select(v => (Name: $"{Get(v.Labels, "check")} {Get(v.Labels, "mountpoint")}", Used: 1 - (avail[Key(v.Labels, "check", "mountpoint")] / v.Value)))
            .OrderByDescending(d => d.Used).Take(Top).ToList();
        Section(text, "Fullest disks", disks.Select(d => $"{d.Name}: {d.Used * 100:0.0}% used"));
        var gpus = Values(series, "nvidia_smi_utilization_gpu_ratio").OrderByDescending(v => v.Value).Take(Top)
            .Select(v => $"{Get(v.Labels, "check")} {Get(v.Labels, "name")} {Get(v.Labels, "uuid")}: {v.Value * 100:0}% busy");
        Section(text, "Busiest GPUs", gpus);
        var databases = Values(series, "pg_database_size_bytes").OrderByDescending(v => v.Value).Take(Top)
            .Select(v => $"{Get(v.Labels, "check")} {Get(v.Labels, "datname")}: {v.Value / (1024 * 1024 * 1024):0.00} GiB");
        Section(text, "Largest databases", databases);
        return text.ToString();
    }

    private static void Section(StringBuilder text, string title, IEnumerable<string> lines)
    {
        var list = lines.ToList();
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{title}:");
        if (list.Count == 0)
        {
            text.AppendLine("  none collected");
        }

        foreach (string line in list)
        {
            text.AppendLine("  " + line);
        }
    }

    private static IEnumerable<(Label[] Labels, double Value)> Values(SeriesStore series, string family) =>
        series.Find(family)?.Snapshot.OfType<Sample>().Where(s => double.IsFinite(s.Value)).Select(s => (s.Labels, s.Value)) ?? [];

    private static string Get(Label[] labels, string name) => labels.FirstOrDefault(l => l.Name == name).Value ?? "";

    private static string Key(Label[] labels, params string[] names) => string.Join("\u0001", names.Select(n => Get(labels, n)));
}
