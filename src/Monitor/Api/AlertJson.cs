using System.Text.Json;
using Monitor.Alerting;
using Monitor.Configuration;

namespace Monitor.Api;

/// <summary>The JSON of the alert and silence listings.</summary>
internal static class AlertJson
{
    public static void WriteAlerts(Utf8JsonWriter w, IReadOnlyList<(AlertRecord Alert, int EscalationStep)> alerts, IReadOnlyList<OutboxEntry> failures, IReadOnlySet<string> suppressed)
    {
        w.WriteStartObject();
        w.WriteString("status", "success");
        w.WriteStartArray("alerts");
        foreach (var (alert, step) in alerts)
        {
            w.WriteStartObject();
            w.WriteString("fingerprint", alert.Fingerprint);
            WriteMap(w, "labels", alert.Labels);
            WriteMap(w, "annotations", alert.Annotations);
            w.WriteString("severity", alert.Severity.ToString());
            w.WriteString("state", alert.Status == AlertStatus.Pending ? "pending" : alert.AckedAt is null ? "firing" : "acknowledged");
            w.WriteString("source", alert.Origin == AlertOrigin.Rule ? "rule" : "alertmanager");
            w.WriteString("since", ApiResults.Timestamp(alert.ActiveAt));
            ApiResults.WriteNullable(w, "fired_at", alert.FiredAt is { } fired ? ApiResults.Timestamp(fired) : null);
            w.WriteNumber("value", double.IsFinite(alert.Value) ? alert.Value : 0);
            ApiResults.WriteNullable(w, "acked_by", alert.AckedBy);
            ApiResults.WriteNullable(w, "acked_at", alert.AckedAt is { } acked ? ApiResults.Timestamp(acked) : null);
            ApiResults.WriteNullable(w, "ack_comment", alert.AckComment);
            w.WriteNumber("escalation_step", step);
            w.WriteBoolean("suppressed", suppressed.Contains(alert.Fingerprint));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("delivery_failures");
        foreach (var failure in failures)
        {
            var n = failure.Notification;
            w.WriteStartObject();
            w.WriteString("id", n.Id);
            w.WriteString("receiver", n.Receiver);
            w.WriteString("kind", n.Kind.ToString().ToLowerInvariant());
            w.WriteString("severity", n.Severity.ToString());
            w.WriteString("state", failure.Status == OutboxStatus.Failed ? "given_up" : "retrying");
            w.WriteNumber("attempts", failure.Attempts);
            ApiResults.WriteNullable(w, "next_attempt_at", failure.Status == OutboxStatus.Pending ? ApiResults.Timestamp(failure.NextAttemptAt) : null);
            ApiResults.WriteNullable(w, "last_error", failure.LastError);
            w.WriteStartArray("fingerprints");
            foreach (var a in n.Alerts)
            {
                w.WriteStringValue(a.Fingerprint);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteSilences(Utf8JsonWriter w, IReadOnlyList<Silence> silences, IReadOnlyList<SilenceWindow> windows, DateTimeOffset now)
    {
        w.WriteStartObject();
        w.WriteString("status", "success");
        w.WriteStartArray("silences");
        foreach (var s in silences)
        {
            w.WriteStartObject();
            w.WriteString("id", s.Id);
            w.WriteString("state", s.ActiveAt(now) ? "active" : s.StartsAt > now ? "pending" : "expired");
            w.WriteStartArray("matchers");
            foreach (var m in s.Matchers)
            {
                w.WriteStartObject();
                w.WriteString("name", m.Name);
                w.WriteString("value", m.Value);
                w.WriteBoolean("isRegex", m.IsRegex);
                w.WriteBoolean("isEqual", m.IsEqual);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("startsAt", ApiResults.Timestamp(s.StartsAt));
            w.WriteString("endsAt", ApiResults.Timestamp(s.EndsAt));
            w.WriteString("createdBy", s.CreatedBy);
            w.WriteString("comment", s.Comment);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("windows");
        foreach (var window in windows)
        {
            w.WriteStartObject();
            w.WriteString("name", window.Name);
            w.WriteString("cron", window.Cron.Expression);
            w.WriteString("timezone", window.TimeZone.Id);
            w.WriteNumber("duration_seconds", window.Duration.TotalSeconds);
            w.WriteBoolean("active", AlertPolicy.WindowActive(window, now));
            WriteMap(w, "matchers", window.Matchers);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>> map)
    {
        w.WriteStartObject(name);
        foreach (var (key, value) in map)
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
    }
}
