using System.Net.Http.Headers;
using System.Text.Json;
using Monitor.Alerting;
using Monitor.Configuration;

namespace Monitor.Delivery.Alertmanager;

/// <summary>
/// Pushes alerts to Alertmanager the way Prometheus does (docs/delivery.md): <c>POST /api/v2/alerts</c> to every
/// URL of the cluster; firing alerts are re-sent every minute with <c>endsAt</c> = now + 4 × max(evaluation
/// interval, 1 m), so Alertmanager keeps them only while Monitor does; a resolution is sent with
/// <c>endsAt</c> = the resolution time and repeated for 15 minutes.
/// </summary>
internal sealed class AlertmanagerNotifier : INotifier, IResendsFiringAlerts, IDisposable
{
    /// <summary>
    /// The <c>alertmanager</c> receiver: pushes to Alertmanager's API. A reload keeps the notifier (with the new
    /// URLs), since it holds the alerts it re-sends every minute.
    /// </summary>
    public static readonly NotifierKind Kind = new("alertmanager", AlertmanagerReceiverOptions.Read, (receiver, services, previous) =>
    {
        var settings = receiver.SettingsOf<AlertmanagerReceiverOptions>();
        if (previous is AlertmanagerNotifier kept)
        {
            kept.Update(settings);
            return kept;
        }

        return new AlertmanagerNotifier(settings, services.Http, services.Context);
    });

    public static readonly TimeSpan ResendEvery = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan ResolvedResendFor = TimeSpan.FromMinutes(15);

    private readonly HttpClient _client;
    private readonly NotifierContext _context;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, AlertSnapshot> _tracked = new(StringComparer.Ordinal);
    private readonly ITimer _timer;
    private IReadOnlyList<Uri> _urls;

    public AlertmanagerNotifier(AlertmanagerReceiverOptions options, HttpClient client, NotifierContext context)
    {
        _urls = options.Urls;
        _client = client;
        _context = context;
        _timer = context.Time.CreateTimer(_ => _ = ResendAsync(), null, ResendEvery, ResendEvery);
    }

    public TimeSpan MinInterval => TimeSpan.Zero;

    public int Concurrency => 2;

    public TimeSpan FiringValidFor => 4 * (_context.Options.EvaluationInterval > TimeSpan.FromMinutes(1) ? _context.Options.EvaluationInterval : TimeSpan.FromMinutes(1));

    public void Update(AlertmanagerReceiverOptions options) => _urls = options.Urls;

    public async Task<DeliveryResult> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (notification.Kind is NotificationKind.Acknowledged or NotificationKind.Report)
        {
            return DeliveryResult.Skipped("Alertmanager takes alerts only");
        }

        lock (_lock)
        {
            foreach (var alert in notification.Alerts)
            {
                _tracked[alert.Fingerprint] = alert;
            }
        }

        return await PostAsync(notification.Alerts, cancellationToken);
    }

    /// <summary>Alerts this receiver was told about before a restart, re-sent from now on like the others.</summary>
    public void Seed(IEnumerable<AlertSnapshot> alerts)
    {
        lock (_lock)
        {
            foreach (var alert in alerts)
            {
                _tracked.TryAdd(alert.Fingerprint, alert);
            }
        }
    }

    /// <summary>Re-sends every tracked alert: firing ones with a fresh endsAt, resolved ones for 15 minutes.</summary>
    public async Task ResendAsync()
    {
        var now = _context.Time.GetUtcNow();
        List<AlertSnapshot> alerts;
        lock (_lock)
        {
            foreach (var gone in _tracked.Values.Where(a => a.Status == AlertStatus.Resolved && now - (a.EndsAt ?? now) > ResolvedResendFor).ToList())
            {
                _tracked.Remove(gone.Fingerprint);
            }

            alerts = [.. _tracked.Values];
        }

        if (alerts.Count > 0)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), _context.Time);
            await PostAsync(alerts, timeout.Token);
        }
    }

    private async Task<DeliveryResult> PostAsync(IReadOnlyList<AlertSnapshot> alerts, CancellationToken cancellationToken)
    {
        byte[] body = Payload(alerts, _context.Time.GetUtcNow(), FiringValidFor, _context);
        var results = new List<string>();
        DeliveryOutcome outcome = DeliveryOutcome.Delivered;
        foreach (var url in _urls)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(url.ToString().TrimEnd('/') + "/api/v2/alerts"))
            {
                Content = new ByteArrayContent(body),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var result = await HttpDelivery.SendAsync(_client, request, _context.Time, cancellationToken);
            results.Add($"{url}: {result.Detail}");
            if (result.Outcome != DeliveryOutcome.Delivered && outcome != DeliveryOutcome.Retry)
            {
                outcome = result.Outcome;
            }
        }

        return new DeliveryResult(outcome, string.Join("; ", results));
    }

    /// <summary>The alert list of <c>POST /api/v2/alerts</c>.</summary>
    public static byte[] Payload(IEnumerable<AlertSnapshot> alerts, DateTimeOffset now, TimeSpan firingValidFor, NotifierContext context)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var a in alerts)
            {
                w.WriteStartObject();
                w.WriteStartObject("labels");
                foreach (var (k, v) in a.Labels)
                {
                    w.WriteString(k, v);
                }

                w.WriteEndObject();
                w.WriteStartObject("annotations");
                foreach (var (k, v) in a.Annotations)
                {
                    w.WriteString(k, v);
                }

                w.WriteEndObject();
                w.WriteString("startsAt", NotificationText.Rfc3339(a.StartsAt));
                w.WriteString("endsAt", NotificationText.Rfc3339(a.Status == AlertStatus.Resolved ? a.EndsAt ?? now : now + firingValidFor));
                w.WriteString("generatorURL", a.GeneratorUrl ?? context.AlertsLink);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        return buffer.ToArray();
    }

    public void Dispose() => _timer.Dispose();
}
