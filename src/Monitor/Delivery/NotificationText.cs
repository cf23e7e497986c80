using System.Globalization;
using Monitor.Alerting;

namespace Monitor.Delivery;

/// <summary>
/// The default words of every medium: a title (severity, state, alert name, group labels) and for each alert
/// its summary, labels, value, since, runbook and ack link. Media escape these pieces for themselves.
/// </summary>
internal static class NotificationText
{
    public static string State(Notification n) => n.Kind switch
    {
        NotificationKind.Resolved => "RESOLVED",
        NotificationKind.Acknowledged => "ACKNOWLEDGED",
        _ => n.Reason == NotificationReason.Test ? "TEST" : "FIRING",
    };

    public static IEnumerable<AlertSnapshot> Firing(Notification n) => n.Alerts.Where(a => a.Status != AlertStatus.Resolved);

    public static IEnumerable<AlertSnapshot> Resolved(Notification n) => n.Alerts.Where(a => a.Status == AlertStatus.Resolved);

    public static string AlertName(Notification n) =>
        n.GroupLabels.GetValueOrDefault("alertname") ?? (n.Alerts.Count > 0 ? n.Alerts[0].Labels.GetValueOrDefault("alertname") : null) ?? "alert";

    /// <summary>"[P1] FIRING: ApiDown (service=api)", with the count when several alerts are grouped.</summary>
    public static string Title(Notification n)
    {
        var others = n.GroupLabels.Where(l => l.Key != "alertname").Select(l => $"{l.Key}={l.Value}").ToList();
        string labels = others.Count > 0 ? $" ({string.Join(", ", others)})" : "";
        int firing = Firing(n).Count();
        int resolved = Resolved(n).Count();
        string count = n.Alerts.Count > 1 ? $" [{firing} firing{(resolved > 0 ? $", {resolved} resolved" : "")}]" : "";
        string escalation = n.Reason == NotificationReason.Escalation ? " (escalated)" : n.Reason == NotificationReason.Repeat ? " (reminder)" : "";
        return $"[{n.Severity}] {State(n)}: {AlertName(n)}{labels}{count}{escalation}";
    }

    public static string Summary(AlertSnapshot a) =>
        a.Annotations.GetValueOrDefault("summary") ?? a.Annotations.GetValueOrDefault("description") ?? a.Labels.GetValueOrDefault("alertname") ?? "alert";

    public static string? Description(AlertSnapshot a) =>
        a.Annotations.TryGetValue("summary", out _) ? a.Annotations.GetValueOrDefault("description") : null;

    public static string? Runbook(AlertSnapshot a) => a.Annotations.GetValueOrDefault("runbook_url");

    public static string Value(AlertSnapshot a) => a.Value.ToString("G6", CultureInfo.InvariantCulture);

    public static string Since(AlertSnapshot a) => a.StartsAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>The ack link of a firing, unacknowledged alert, when links are enabled.</summary>
    public static string? AckLink(AlertSnapshot a, NotifierContext context) =>
        a.Status == AlertStatus.Resolved || a.AckedBy is not null ? null : context.AckLink(a.Fingerprint, a.StartsAt);

    /// <summary>The whole message as plain text (email's text part, test output).</summary>
    public static string PlainBody(Notification n, NotifierContext context)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(Title(n)).AppendLine();
        if (n.Kind == NotificationKind.Acknowledged)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Acknowledged by {string.Join(", ", Firing(n).Select(a => a.AckedBy).Distinct())}.").AppendLine();
        }

        foreach (var a in n.Alerts)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{(a.Status == AlertStatus.Resolved ? "RESOLVED" : "FIRING")}: {Summary(a)}");
            if (Description(a) is { } description)
            {
                text.AppendLine(description);
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"  since: {Since(a)}  value: {Value(a)}");
            foreach (var (name, value) in a.Labels)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {name} = {value}");
            }

            if (Runbook(a) is { } runbook)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  runbook: {runbook}");
            }

            if (AckLink(a, context) is { } ack)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  acknowledge: {ack}");
            }

            text.AppendLine();
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"All alerts: {context.AlertsLink}");
        return text.ToString();
    }

    public static string Rfc3339(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The pairs every map has with the same value.</summary>
    public static SortedDictionary<string, string> Common(IEnumerable<IReadOnlyDictionary<string, string>> maps)
    {
        SortedDictionary<string, string>? common = null;
        foreach (var map in maps)
        {
            if (common is null)
            {
                common = new SortedDictionary<string, string>(map.ToDictionary(), StringComparer.Ordinal);
                continue;
            }

            foreach (var key in common.Keys.ToList())
            {
                if (!map.TryGetValue(key, out var value) || value != common[key])
                {
                    common.Remove(key);
                }
            }
        }

        return common ?? new SortedDictionary<string, string>(StringComparer.Ordinal);
    }
}
