using Monitor.Configuration;

namespace Monitor.Alerting;

/// <summary>
/// One notification group (docs/alerting.md): the alerts of one severity and route that agree on <c>group_by</c>, with
/// what each receiver was told. Durable, so a restart neither repeats nor forgets a notification.
/// </summary>
internal sealed class GroupState
{
    public required string Key { get; init; }

    public required Severity Severity { get; init; }

    /// <summary>The <c>group_by</c> labels and their values.</summary>
    public required SortedDictionary<string, string> GroupLabels { get; init; }

    /// <summary>When the group's current episode began (its first effective firing alert): group_wait counts from here.</summary>
    public DateTimeOffset? EpisodeStart { get; set; }

    /// <summary>How many escalation steps have been reached in this episode.</summary>
    public int EscalationStep { get; set; }

    /// <summary>Per receiver: the firing alerts it was told about and when it was last told.</summary>
    public Dictionary<string, ReceiverProgress> Notified { get; init; } = new(StringComparer.Ordinal);

    /// <summary>PagerDuty's dedup_key and the webhook's groupKey: stable for the group.</summary>
    public string DedupKey => "monitor-" + Fingerprint.OfText(Key);

    public GroupState Clone() => new()
    {
        Key = Key,
        Severity = Severity,
        GroupLabels = new SortedDictionary<string, string>(GroupLabels, StringComparer.Ordinal),
        EpisodeStart = EpisodeStart,
        EscalationStep = EscalationStep,
        Notified = Notified.ToDictionary(kv => kv.Key, kv => kv.Value.Clone(), StringComparer.Ordinal),
    };
}

/// <summary>What one receiver of a group has been told in the current episode.</summary>
internal sealed class ReceiverProgress
{
    /// <summary>Fingerprints the receiver was told are firing and has not yet been told resolved.</summary>
    public SortedSet<string> Firing { get; init; } = new(StringComparer.Ordinal);

    public DateTimeOffset LastSentAt { get; set; }

    /// <summary>The receiver was told that every alert it knows of is acknowledged.</summary>
    public bool AckSent { get; set; }

    public ReceiverProgress Clone() => new() { Firing = new SortedSet<string>(Firing, StringComparer.Ordinal), LastSentAt = LastSentAt, AckSent = AckSent };
}
