using System.Text.Json;
using Monitor.Alerting;
using static Monitor.Api.RequestJson;

namespace Monitor.Api;

/// <summary>Alertmanager's webhook payload, version 4 (docs/delivery.md), as Monitor receives it.</summary>
internal static class AlertmanagerWebhook
{
    public static (List<IncomingAlert>? Alerts, string? Error) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, "body must be a JSON object");
        }

        if (body.TryGetProperty("version", out var version) && (version.ValueKind != JsonValueKind.String || version.GetString() != "4"))
        {
            return (null, $"version: expected \"4\", got {version.GetRawText()}");
        }

        if (!body.TryGetProperty("alerts", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return (null, "alerts: required list");
        }

        var alerts = new List<IncomingAlert>();
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            string at = $"alerts[{i}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                return (null, $"{at}: must be an object");
            }

            var (labels, labelError) = Map(item, "labels");
            var (annotations, annotationError) = Map(item, "annotations");
            if (labels is null || annotations is null)
            {
                return (null, $"{at}.{labelError ?? annotationError}");
            }

            if (labels.Count == 0)
            {
                return (null, $"{at}.labels: at least one label is required");
            }

            string status = item.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
            if (status is not ("firing" or "resolved"))
            {
                return (null, $"{at}.status: expected firing or resolved, got \"{status}\"");
            }

            if (!TryTime(item, "startsAt", out var startsAt, out string? error) || !TryTime(item, "endsAt", out var endsAt, out error))
            {
                return (null, $"{at}.{error}");
            }

            // The sender's "fingerprint" is ignored: identity comes from the labels, in the webhook's own namespace.
            string fingerprint = Fingerprint.OfWebhook(labels);
            string? generator = item.TryGetProperty("generatorURL", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
            alerts.Add(new IncomingAlert(fingerprint, status == "resolved", labels, annotations, startsAt, endsAt is { Year: > 1 } ? endsAt : null, generator));
            i++;
        }

        return (alerts, null);
    }
}
