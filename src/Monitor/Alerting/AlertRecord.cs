using Monitor.Configuration;

namespace Monitor.Alerting;

internal enum AlertStatus
{
    Pending,
    Firing,
    Resolved,
}

/// <summary>Where an alert came from: Monitor's own rules or an Alertmanager webhook.</summary>
internal enum AlertOrigin
{
    Rule,
    Alertmanager,
}

/// <summary>
/// One alert as the lifecycle keeps it durably: its labels, where it is in pending → firing → resolved, its
/// acknowledgement and its SLA clocks. Keyed by <see cref="Fingerprint"/>.
/// </summary>
internal sealed class AlertRecord
{
    public required string Fingerprint { get; init; }

    /// <summary>
    /// The record's key in the book: its fingerprint, except for a resolved episode whose alert fired again
    /// before every receiver was told of the resolution; that one is kept as <c>fingerprint@firedAtMs</c>.
    /// </summary>
    public string Key
    {
        get => _key ?? Fingerprint;
        set => _key = value == Fingerprint ? null : value;
    }

    private string? _key;

    public required AlertOrigin Origin { get; init; }

    /// <summary>The rule group that produced it (rule alerts), used to hand the <c>for</c> timer back after a restart.</summary>
    public string? Group { get; set; }

    public required SortedDictionary<string, string> Labels { get; init; }

    /// <summary>The labels as the rule produced them, before external labels were added (rule alerts).</summary>
    public SortedDictionary<string, string>? RuleLabels { get; init; }

    public Dictionary<string, string> Annotations { get; set; } = [];

    public Severity Severity { get; set; }

    public AlertStatus Status { get; set; }

    /// <summary>When the expression first returned the series (the start of <c>for</c>).</summary>
    public DateTimeOffset ActiveAt { get; set; }

    public DateTimeOffset? FiredAt { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public double Value { get; set; }

    public string? GeneratorUrl { get; set; }

    public DateTimeOffset? AckedAt { get; set; }

    public string? AckedBy { get; set; }

    public string? AckComment { get; set; }

    /// <summary>The <c>ack_within</c> SLA breach was counted.</summary>
    public bool AckBreached { get; set; }

    /// <summary>The <c>resolve_within</c> SLA breach was counted.</summary>
    public bool ResolveBreached { get; set; }

    /// <summary>When it was first held by its route's time intervals before anyone was told of it; null: never held so.</summary>
    public DateTimeOffset? HeldAt { get; set; }

    /// <summary>When the interval that held it opened and it was released to its receivers.</summary>
    public DateTimeOffset? ReleasedAt { get; set; }

    /// <summary>
    /// Where its SLA clocks and escalation count from: its firing, or for an alert held before it was ever sent,
    /// its release (null while still held: the clocks have not started).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DateTimeOffset? ClockStart => HeldAt is null ? FiredAt : ReleasedAt;

    public string AlertName => Labels.GetValueOrDefault("alertname", "");

    public AlertRecord Clone() => new()
    {
        Fingerprint = Fingerprint,
        Key = Key,
        Origin = Origin,
        Group = Group,
        Labels = new SortedDictionary<string, string>(Labels, StringComparer.Ordinal),
        RuleLabels = RuleLabels is null ? null : new SortedDictionary<string, string>(RuleLabels, StringComparer.Ordinal),
        Annotations = new Dictionary<string, string>(Annotations, StringComparer.Ordinal),
        Severity = Severity,
        Status = Status,
        ActiveAt = ActiveAt,
        FiredAt = FiredAt,
        ResolvedAt = ResolvedAt,
        Value = Value,
        GeneratorUrl = GeneratorUrl,
        AckedAt = AckedAt,
        AckedBy = AckedBy,
        AckComment = AckComment,
        AckBreached = AckBreached,
        ResolveBreached = ResolveBreached,
        HeldAt = HeldAt,
        ReleasedAt = ReleasedAt,
    };

    /// <summary>Severity from <c>labels.severity</c> (docs/alerting.md) in the built-in levels; an alert without a recognised one is P3.</summary>
    public static Severity SeverityOf(IReadOnlyDictionary<string, string> labels) => SeverityOf(labels, SeverityLevels.BuiltIn, out _);

    /// <summary>
    /// Severity from <c>labels.severity</c> in <paramref name="levels"/>; a missing or unknown one is the levels'
    /// <see cref="SeverityLevels.Unknown"/>, and <paramref name="unknown"/> is the label's text when it names no level.
    /// </summary>
    public static Severity SeverityOf(IReadOnlyDictionary<string, string> labels, SeverityLevels levels, out string? unknown)
    {
        string? text = labels.GetValueOrDefault("severity");
        unknown = null;
        if (levels.TryParse(text, out var severity))
        {
            return severity;
        }

        unknown = text;
        return levels.Unknown;
    }
}
