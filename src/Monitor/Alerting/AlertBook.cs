namespace Monitor.Alerting;

/// <summary>Everything the lifecycle knows: alerts, notification groups and ad-hoc silences, by key.</summary>
internal sealed class AlertBook
{
    public Dictionary<string, AlertRecord> Alerts { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, GroupState> Groups { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, Silence> Silences { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The book after <paramref name="changes"/>: their values replace, their nulls delete.</summary>
    public void Apply(StoreChanges changes)
    {
        Apply(Alerts, changes.Alerts);
        Apply(Groups, changes.Groups);
        Apply(Silences, changes.Silences);
    }

    private static void Apply<T>(Dictionary<string, T> target, Dictionary<string, T?> changes)
        where T : class
    {
        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else
            {
                target[key] = value;
            }
        }
    }
}

internal enum SlaKind
{
    Ack,
    Resolve,
}

/// <summary>
/// What one decision changed and owes, as new values (the book it was made from is left as it was): the caller
/// applies <see cref="Changes"/> to its book, persists them in one transaction, then sends.
/// </summary>
internal sealed class Decision
{
    /// <summary>Changed and removed alerts and groups, and the notifications owed.</summary>
    public StoreChanges Changes { get; } = new();

    public List<Notification> Notifications => Changes.Notifications;

    public List<(Configuration.Severity Severity, SlaKind Kind)> SlaBreaches { get; } = [];

    /// <summary>Escalation steps groups reached in this decision: the group's severity and the step (1 = the first).</summary>
    public List<(Configuration.Severity Severity, int Step)> Escalations { get; } = [];

    /// <summary>Firing alerts that are silenced or inhibited now, or held outside their route's time intervals.</summary>
    public HashSet<string> Suppressed { get; } = new(StringComparer.Ordinal);

    public bool IsEmpty => Changes.IsEmpty;

    /// <summary>The earliest later moment a timer of this decision (a group_wait, a group_interval) runs out, if any.</summary>
    public DateTimeOffset? NextDue { get; private set; }

    /// <summary>Notes that something waits until <paramref name="at"/>.</summary>
    public void Due(DateTimeOffset at)
    {
        if (NextDue is not { } due || at < due)
        {
            NextDue = at;
        }
    }
}
