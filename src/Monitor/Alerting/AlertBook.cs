namespace Monitor.Alerting;

/// <summary>Everything the lifecycle knows: alerts, notification groups and ad-hoc silences, by key.</summary>
internal sealed class AlertBook
{
    public Dictionary<string, AlertRecord> Alerts { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, GroupState> Groups { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, Silence> Silences { get; init; } = new(StringComparer.Ordinal);
}

internal enum SlaKind
{
    Ack,
    Resolve,
}

/// <summary>What one decision changed and owes; the caller persists it in one transaction, then sends.</summary>
internal sealed class Decision
{
    public List<Notification> Notifications { get; } = [];

    public HashSet<string> ChangedGroups { get; } = new(StringComparer.Ordinal);

    public HashSet<string> RemovedGroups { get; } = new(StringComparer.Ordinal);

    public HashSet<string> ChangedAlerts { get; } = new(StringComparer.Ordinal);

    public HashSet<string> RemovedAlerts { get; } = new(StringComparer.Ordinal);

    public List<(Configuration.Severity Severity, SlaKind Kind)> SlaBreaches { get; } = [];

    /// <summary>Firing alerts that are silenced or inhibited now.</summary>
    public HashSet<string> Suppressed { get; } = new(StringComparer.Ordinal);

    public bool IsEmpty => Notifications.Count == 0 && ChangedGroups.Count == 0 && RemovedGroups.Count == 0 && ChangedAlerts.Count == 0 && RemovedAlerts.Count == 0;
}
