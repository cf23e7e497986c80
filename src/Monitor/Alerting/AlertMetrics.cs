using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Alerting;

/// <summary>The SLA clocks and alert counts (docs/alerting.md).</summary>
internal sealed class AlertMetrics
{
    /// <summary>1 m to 1 w: the range between the shortest <c>ack_within</c> and the longest <c>resolve_within</c>.</summary>
    public static readonly double[] DurationBuckets = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200, 604800];

    private static readonly string[] States = ["pending", "firing", "acknowledged", "suppressed"];

    private readonly Dictionary<(Severity, SlaKind), Sample> _breaches = [];
    private readonly Dictionary<Severity, HistogramSeries> _timeToAck = [];
    private readonly Dictionary<Severity, HistogramSeries> _timeToResolve = [];
    private readonly Dictionary<(Severity, string), Sample> _alerts = [];

    public AlertMetrics(SeriesStore store)
    {
        foreach (var severity in Enum.GetValues<Severity>())
        {
            string name = severity.ToString();
            foreach (var kind in Enum.GetValues<SlaKind>())
            {
                _breaches[(severity, kind)] = store.Counter("monitor_alert_sla_breaches_total", "Alerts not acknowledged within ack_within or not resolved within resolve_within of their severity.",
                    [new("kind", kind == SlaKind.Ack ? "ack" : "resolve"), new("severity", name)]);
            }

            _timeToAck[severity] = store.Histogram("monitor_alert_time_to_ack_seconds", "Time from an alert firing to its acknowledgement.", DurationBuckets, [new("severity", name)]);
            _timeToResolve[severity] = store.Histogram("monitor_alert_time_to_resolve_seconds", "Time from an alert firing to its resolution.", DurationBuckets, [new("severity", name)]);
            foreach (string state in States)
            {
                _alerts[(severity, state)] = store.Gauge("monitor_alerts", "Alerts held now by severity and state (suppressed: silenced or inhibited).", [new("severity", name), new("state", state)]);
            }
        }
    }

    public void Breached(Severity severity, SlaKind kind) => _breaches[(severity, kind)].Inc();

    public void Acknowledged(Severity severity, TimeSpan afterFiring) => _timeToAck[severity].Observe(afterFiring.TotalSeconds);

    public void Resolved(Severity severity, TimeSpan afterFiring) => _timeToResolve[severity].Observe(afterFiring.TotalSeconds);

    public void Count(AlertBook book, IReadOnlySet<string> suppressed)
    {
        var counts = _alerts.Keys.ToDictionary(k => k, _ => 0);
        foreach (var alert in book.Alerts.Values)
        {
            string? state = alert.Status switch
            {
                AlertStatus.Pending => "pending",
                AlertStatus.Firing when suppressed.Contains(alert.Fingerprint) => "suppressed",
                AlertStatus.Firing when alert.AckedAt is not null => "acknowledged",
                AlertStatus.Firing => "firing",
                _ => null,
            };
            if (state is not null)
            {
                counts[(alert.Severity, state)]++;
            }
        }

        foreach (var (key, count) in counts)
        {
            _alerts[key].Set(count);
        }
    }
}
