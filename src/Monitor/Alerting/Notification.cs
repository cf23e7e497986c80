using Monitor.Configuration;

namespace Monitor.Alerting;

internal enum NotificationKind
{
    /// <summary>Alerts are firing (first notice, group update, repeat or escalation).</summary>
    Firing,

    /// <summary>Every alert the receiver was told about has resolved.</summary>
    Resolved,

    /// <summary>Every firing alert the receiver was told about is acknowledged (PagerDuty's acknowledge event).</summary>
    Acknowledged,

    /// <summary>A scheduled summary (<c>reports:</c>); it carries <see cref="Notification.Report"/> instead of alerts.</summary>
    Report,
}

internal enum NotificationReason
{
    First,
    Update,
    Repeat,
    Escalation,
    Resolution,
    Acknowledgement,
    Fallback,
    Test,
}

/// <summary>An alert as a notification shows it: a snapshot taken when the notification was decided.</summary>
internal sealed record AlertSnapshot
{
    public required string Fingerprint { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    public required IReadOnlyDictionary<string, string> Annotations { get; init; }

    public required AlertStatus Status { get; init; }

    public required DateTimeOffset StartsAt { get; init; }

    public DateTimeOffset? EndsAt { get; init; }

    public double Value { get; init; }

    public string? AckedBy { get; init; }

    public string? GeneratorUrl { get; init; }

    public static AlertSnapshot Of(AlertRecord alert) => new()
    {
        Fingerprint = alert.Fingerprint,
        Labels = new SortedDictionary<string, string>(alert.Labels, StringComparer.Ordinal),
        Annotations = new SortedDictionary<string, string>(alert.Annotations, StringComparer.Ordinal),
        Status = alert.Status == AlertStatus.Resolved ? AlertStatus.Resolved : AlertStatus.Firing,
        StartsAt = alert.FiredAt ?? alert.ActiveAt,
        EndsAt = alert.ResolvedAt,
        Value = alert.Value,
        AckedBy = alert.AckedBy,
        GeneratorUrl = alert.GeneratorUrl,
    };
}

/// <summary>
/// One message owed to one receiver: written to the outbox in the same transaction as the decision that made
/// it, and marked delivered only after the provider accepted it. <see cref="Id"/> is the idempotency key a
/// re-send after a crash carries again.
/// </summary>
internal sealed record Notification
{
    public required string Id { get; init; }

    public required string Receiver { get; init; }

    public required string GroupKey { get; init; }

    public required string DedupKey { get; init; }

    public required Severity Severity { get; init; }

    public required NotificationKind Kind { get; init; }

    public required NotificationReason Reason { get; init; }

    public required IReadOnlyDictionary<string, string> GroupLabels { get; init; }

    public required IReadOnlyList<AlertSnapshot> Alerts { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The text of a report (kind <see cref="NotificationKind.Report"/>): a title line, then the body.</summary>
    public string? Report { get; init; }
}
