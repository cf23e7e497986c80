using System.Net.Http.Headers;
using System.Text.Json;
using Monitor.Alerting;
using Monitor.Configuration;

namespace Monitor.Delivery.PagerDuty;

/// <summary>
/// PagerDuty Events API v2 (docs/delivery.md): trigger with a payload, acknowledge and resolve with only the
/// routing key, dedup key and action. The dedup key is the group's, so one incident follows one group.
/// </summary>
internal sealed class PagerDutyNotifier(PagerDutyReceiverOptions options, HttpClient client, NotifierContext context) : INotifier
{
    /// <summary>The <c>pagerduty</c> receiver: PagerDuty Events API v2.</summary>
    public static readonly NotifierKind Kind = new("pagerduty", PagerDutyReceiverOptions.Read, (receiver, services, _) =>
        new PagerDutyNotifier(receiver.SettingsOf<PagerDutyReceiverOptions>(), services.Http, services.Context));

    public const int MaxSummary = 1024;

    /// <summary>The Events API's limit is 120 events a minute per integration key, not a spacing: see <see cref="Budget"/>.</summary>
    public TimeSpan MinInterval => TimeSpan.Zero;

    public (int Count, TimeSpan Period)? Budget => (120, TimeSpan.FromMinutes(1));

    public int Concurrency => 1;

    public async Task<DeliveryResult> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (notification.Kind == NotificationKind.Report)
        {
            return DeliveryResult.Skipped("reports are not paged");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, options.Url) { Content = new ByteArrayContent(Payload(notification, options.RoutingKey.Reveal(), context, options.Summary)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await HttpDelivery.SendAsync(client, request, context.Time, cancellationToken);
    }

    public static string Severity(Severity severity) => severity.Rank switch
    {
        1 => "critical",
        2 => "error",
        3 => "warning",
        _ => "info",
    };

    public static byte[] Payload(Notification n, string routingKey, NotifierContext context, string? summaryTemplate = null)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("routing_key", routingKey);
            w.WriteString("event_action", n.Kind switch
            {
                NotificationKind.Resolved => "resolve",
                NotificationKind.Acknowledged => "acknowledge",
                _ => "trigger",
            });
            w.WriteString("dedup_key", n.DedupKey);
            if (n.Kind == NotificationKind.Firing)
            {
                var firing = NotificationText.Firing(n).ToList();
                var first = firing.FirstOrDefault() ?? n.Alerts[0];
                w.WriteStartObject("payload");
                string summary = summaryTemplate is null
                    ? NotificationText.Title(n) + " — " + NotificationText.Summary(first)
                    : NotificationTemplates.Expand(summaryTemplate, n, context, s => s);
                w.WriteString("summary", summary.Length > MaxSummary ? summary[..(MaxSummary - 1)] + "…" : summary);
                w.WriteString("source", first.Labels.GetValueOrDefault("instance") ?? first.Labels.GetValueOrDefault("check") ?? context.ExternalUrl.Host);
                w.WriteString("severity", Severity(n.Severity));
                w.WriteString("timestamp", NotificationText.Rfc3339(firing.Count > 0 ? firing.Min(a => a.StartsAt) : first.StartsAt));
                if (first.Labels.GetValueOrDefault("service") is { } service)
                {
                    w.WriteString("component", service);
                }

                w.WriteString("group", NotificationText.AlertName(n));
                w.WriteString("class", NotificationText.AlertName(n));
                w.WriteStartObject("custom_details");
                w.WriteNumber("num_firing", firing.Count);
                w.WriteNumber("num_resolved", NotificationText.Resolved(n).Count());
                w.WriteString("monitor_severity", n.Severity.ToString());
                w.WriteStartArray("alerts");
                foreach (var a in n.Alerts)
                {
                    w.WriteStartObject();
                    w.WriteString("status", a.Status == AlertStatus.Resolved ? "resolved" : "firing");
                    w.WriteString("fingerprint", a.Fingerprint);
                    w.WriteString("summary", NotificationText.Summary(a));
                    w.WriteString("since", NotificationText.Rfc3339(a.StartsAt));
                    w.WriteString("value", NotificationText.Value(a));
                    w.WriteStartObject("labels");
                    foreach (var (k, v) in a.Labels)
                    {
                        w.WriteString(k, v);
                    }

                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteString("client", "Monitor");
                w.WriteString("client_url", context.AlertsLink);
                w.WriteStartArray("links");
                foreach (var a in firing.Take(5))
                {
                    if (NotificationText.AckLink(a, context) is { } ack)
                    {
                        w.WriteStartObject();
                        w.WriteString("href", ack);
                        w.WriteString("text", "Acknowledge in Monitor: " + NotificationText.Summary(a));
                        w.WriteEndObject();
                    }

                    if (NotificationText.Runbook(a) is { } runbook && Uri.TryCreate(runbook, UriKind.Absolute, out _))
                    {
                        w.WriteStartObject();
                        w.WriteString("href", runbook);
                        w.WriteString("text", "Runbook");
                        w.WriteEndObject();
                    }
                }

                w.WriteStartObject();
                w.WriteString("href", context.AlertsLink);
                w.WriteString("text", "Monitor alerts");
                w.WriteEndObject();
                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
