using Monitor.Metrics;

namespace Monitor.Rules.Alerting;

/// <summary>An alert of one rule for one label set, as Prometheus keeps it between evaluations.</summary>
internal sealed class ActiveAlert
{
    public required Label[] Labels { get; init; }

    public IReadOnlyDictionary<string, string> Annotations { get; set; } = new Dictionary<string, string>();

    public AlertState State { get; set; }

    public double Value { get; set; }

    public required DateTimeOffset ActiveAt { get; init; }

    public DateTimeOffset? FiredAt { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public DateTimeOffset? KeepFiringSince { get; set; }

    /// <summary>
    /// Set on an alert handed back from the durable store after a restart: until then a missing series does not
    /// resolve it, because the checks that feed it may not have run yet.
    /// </summary>
    public DateTimeOffset? RestoredUntil { get; set; }

    /// <summary>
    /// With <see cref="RestoredUntil"/>: whether, at an evaluation's time, every check that feeds the alert has
    /// finished a run in this process before it, so a missing series is evidence and the alert may resolve before
    /// the timer runs out.
    /// </summary>
    public Func<DateTimeOffset, bool>? RestoredEvidence { get; set; }

    /// <summary>The <c>ALERTS</c> series of the alert's current state, kept so it is not looked up every evaluation.</summary>
    internal (AlertState State, Evaluation.StoredSeries Alerts, Evaluation.StoredSeries ForState)? AlertsSeries { get; set; }
}
