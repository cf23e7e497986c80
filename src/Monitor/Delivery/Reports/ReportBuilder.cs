using System.Globalization;
using System.Text;
using Monitor.Alerting;
using Monitor.Configuration;

namespace Monitor.Delivery.Reports;

/// <summary>
/// The runbooks' 09:00 / 18:00 checklist as one summary: checks down, active alerts by severity, SLA breaches,
/// the fullest disks, the busiest GPUs, Kubernetes Warning events and the largest databases, from the facts of <see cref="IReportSource"/>.
/// </summary>
internal static class ReportBuilder
{
    private const int Top = 5;

    public static string Build(string name, DateTimeOffset at, TimeZoneInfo zone, ReportFacts facts, IReadOnlyList<AlertRecord> alerts, DateTimeOffset? sentLate = null, SeverityLevels? levels = null)
    {
        var text = new StringBuilder();
        var local = TimeZoneInfo.ConvertTime(at, zone);
        string late = sentLate is { } sent ? $" (late, sent {TimeZoneInfo.ConvertTime(sent, zone):yyyy-MM-dd HH:mm})" : string.Empty;
        text.AppendLine(CultureInfo.InvariantCulture, $"Monitor report {name}: {local:yyyy-MM-dd HH:mm} ({zone.Id}){late}");
        text.AppendLine();

        text.AppendLine(CultureInfo.InvariantCulture, $"Checks down: {facts.Down.Count} of {facts.Checks}");
        foreach (var check in facts.Down.Take(20))
        {
            string line = $"  - {check.Check}: {check.Reason} {check.Error}";
            text.AppendLine(line.TrimEnd());
        }

        text.AppendLine();
        text.AppendLine("Active alerts:");
        foreach (var severity in (levels ?? SeverityLevels.BuiltIn).All.Concat(alerts.Select(a => a.Severity)).Distinct().Order())
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
        var breaches = facts.SlaBreaches.Where(b => b.Count > 0).ToList();
        if (breaches.Count == 0)
        {
            text.AppendLine("  none");
        }

        foreach (var breach in breaches)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {breach.Severity} {breach.Kind}: {breach.Count}");
        }

        Section(text, "Fullest disks", facts.Disks.OrderByDescending(d => d.UsedRatio).Take(Top).Select(d => $"{d.Check} {d.Mountpoint}: {d.UsedRatio * 100:0.0}% used"));
        Section(text, "Busiest GPUs", facts.Gpus.OrderByDescending(g => g.Busy).Take(Top).Select(g => $"{g.Check} {g.Name} {g.Uuid}: {g.Busy * 100:0}% busy"));
        if (facts.WarningEvents.Count > 0 || facts.LatestWarningEvents.Count > 0)
        {
            Section(text, "Kubernetes Warning events since start", facts.WarningEvents.OrderByDescending(e => e.Count).ThenBy(e => e.Namespace, StringComparer.Ordinal).ThenBy(e => e.Reason, StringComparer.Ordinal).Take(Top * 2)
                .Select(e => $"{e.Check} {e.Namespace} {e.Kind} {e.Reason}: {e.Count:0}"));
            Section(text, "Latest Warning events", facts.LatestWarningEvents.Take(Top * 2));
        }

        Section(text, "Largest databases", facts.Databases.OrderByDescending(d => d.Bytes).Take(Top).Select(d => $"{d.Check} {d.Database}: {d.Bytes / (1024 * 1024 * 1024):0.00} GiB"));
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
}
