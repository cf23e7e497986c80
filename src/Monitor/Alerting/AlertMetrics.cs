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

    private readonly SeriesStore _store;

    /// <summary>Config reloads add levels while the alerting loop counts.</summary>
    private readonly Lock _gate = new();

    /// <summary>The series of P1–P4 exist from the start (0 until used); a configured level's when first seen.</summary>
    public AlertMetrics(SeriesStore store)
    {
        _store = store;
        foreach (var severity in Severity.BuiltIn)
        {
            Add(severity);
        }
    }

    private void Add(Severity severity)
    {
        lock (_gate)
        {
            AddLocked(severity);
        }
    }

    private void AddLocked(Severity severity)
    {
        if (_timeToAck.ContainsKey(severity))
        {
            return;
        }

        string name = severity.ToString();
        foreach (var kind in Enum.GetValues<SlaKind>())
        {
            _breaches[(severity, kind)] = _store.Counter("monitor_alert_sla_breaches_total", "Alerts not acknowledged within ack_within or not resolved within resolve_within of their severity.",
                [new("kind", kind == SlaKind.Ack ? "ack" : "resolve"), new("severity", name)]);
        }

        _timeToAck[severity] = _store.Histogram("monitor_alert_time_to_ack_seconds", "Time from an alert firing to its acknowledgement.", DurationBuckets, [new("severity", name)]);
        _timeToResolve[severity] = _store.Histogram("monitor_alert_time_to_resolve_seconds", "Time from an alert firing to its resolution.", DurationBuckets, [new("severity", name)]);
        foreach (string state in States)
        {
            _alerts[(severity, state)] = _store.Gauge("monitor_alerts", "Alerts held now by severity and state (suppressed: silenced or inhibited).", [new("severity", name), new("state", state)]);
        }
    }

    /// <summary>Creates the series of configured levels, so they read 0 before their first alert.</summary>
    public void Levels(SeverityLevels levels)
    {
        foreach (var severity in levels.All)
        {
            Add(severity);
        }
    }

    /// <summary>A group reached escalation step <paramref name="step"/> (1 = the first step after the first notice).</summary>
    public void Escalated(Severity severity, int step) =>
        _store.Counter("monitor_alert_escalations_total", "Escalation steps reached by alert groups, by severity and step (1 = the first).", [new("severity", severity.ToString()), new("step", step.ToString(System.Globalization.CultureInfo.InvariantCulture))]).Inc();

    public void Breached(Severity severity, SlaKind kind)
    {
        lock (_gate)
        {
            AddLocked(severity);
            _breaches[(severity, kind)].Inc();
        }
    }

    public void Acknowledged(Severity severity, TimeSpan afterFiring)
    {
        lock (_gate)
        {
            AddLocked(severity);
            _timeToAck[severity].Observe(afterFiring.TotalSeconds);
        }
    }

    public void Resolved(Severity severity, TimeSpan afterFiring)
    {
        lock (_gate)
        {
            AddLocked(severity);
            _timeToResolve[severity].Observe(afterFiring.TotalSeconds);
        }
    }

    public void Count(AlertBook book, IReadOnlySet<string> suppressed)
    {
        lock (_gate)
        {
            CountLocked(book, suppressed);
        }
    }

    private void CountLocked(AlertBook book, IReadOnlySet<string> suppressed)
    {
        // By series, not by level: a team's P1 (its second level) and the built-in P1 share severity="P1".
        var counts = new Dictionary<Sample, int>(ReferenceEqualityComparer.Instance);
        foreach (var sample in _alerts.Values)
        {
            counts[sample] = 0;
        }

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
                AddLocked(alert.Severity);
                var sample = _alerts[(alert.Severity, state)];
                counts[sample] = counts.GetValueOrDefault(sample) + 1;
            }
        }

        foreach (var (sample, count) in counts)
        {
            sample.Set(count);
        }
    }
}
