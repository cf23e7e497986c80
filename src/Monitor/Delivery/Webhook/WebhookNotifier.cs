using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Monitor.Alerting;
using Monitor.Configuration;

namespace Monitor.Delivery.Webhook;

/// <summary>
/// A generic webhook speaking Alertmanager's version-4 payload, so receivers written for Alertmanager work
/// unchanged. Each message carries its outbox id as <c>Idempotency-Key</c>: a re-send after a crash repeats it.
/// </summary>
internal sealed class WebhookNotifier(string receiver, WebhookReceiverOptions options, HttpClient client, NotifierContext context) : INotifier
{
    /// <summary>The <c>webhook</c> receiver: Alertmanager's version-4 webhook payload.</summary>
    public static readonly NotifierKind Kind = new("webhook", WebhookReceiverOptions.Read, (r, services, _) =>
        new WebhookNotifier(r.Name, r.SettingsOf<WebhookReceiverOptions>(), services.Http, services.Context));

    public TimeSpan MinInterval => TimeSpan.Zero;

    public int Concurrency => 4;

    public async Task<DeliveryResult> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (notification.Kind == NotificationKind.Acknowledged)
        {
            return DeliveryResult.Skipped("version 4 webhooks have no acknowledgement message");
        }

        byte[] body = notification.Kind == NotificationKind.Report
            ? JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["receiver"] = receiver, ["status"] = "report", ["report"] = notification.GroupLabels.GetValueOrDefault("report", ""), ["text"] = notification.Report ?? "" })
            : Payload(receiver, notification, context, options.MaxAlerts);
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Url.Reveal()) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", notification.Id);
        if (options.BearerToken is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Reveal());
        }

        return await HttpDelivery.SendAsync(client, request, context.Time, cancellationToken);
    }

    /// <summary>Alertmanager's webhook body (version "4").</summary>
    public static byte[] Payload(string receiver, Notification notification, NotifierContext context, int maxAlerts = 0)
    {
        var alerts = notification.Alerts;
        int truncated = maxAlerts > 0 && alerts.Count > maxAlerts ? alerts.Count - maxAlerts : 0;
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("version", "4");
            w.WriteString("groupKey", notification.GroupKey);
            w.WriteNumber("truncatedAlerts", truncated);
            w.WriteString("status", notification.Kind == NotificationKind.Resolved ? "resolved" : "firing");
            w.WriteString("receiver", receiver);
            WriteMap(w, "groupLabels", notification.GroupLabels);
            WriteMap(w, "commonLabels", NotificationText.Common(alerts.Select(a => a.Labels)));
            WriteMap(w, "commonAnnotations", NotificationText.Common(alerts.Select(a => a.Annotations)));
            w.WriteString("externalURL", context.ExternalUrl.ToString().TrimEnd('/'));
            w.WriteStartArray("alerts");
            foreach (var alert in truncated > 0 ? alerts.Take(maxAlerts) : alerts)
            {
                w.WriteStartObject();
                w.WriteString("status", alert.Status == AlertStatus.Resolved ? "resolved" : "firing");
                WriteMap(w, "labels", alert.Labels);
                WriteMap(w, "annotations", alert.Annotations);
                w.WriteString("startsAt", NotificationText.Rfc3339(alert.StartsAt));
                w.WriteString("endsAt", alert.Status == AlertStatus.Resolved && alert.EndsAt is { } end ? NotificationText.Rfc3339(end) : "0001-01-01T00:00:00Z");
                w.WriteString("generatorURL", alert.GeneratorUrl ?? context.AlertsLink);
                w.WriteString("fingerprint", alert.Fingerprint);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteMap(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>> map)
    {
        w.WriteStartObject(name);
        foreach (var (key, value) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
    }
}
