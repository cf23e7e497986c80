namespace Monitor.Configuration;

/// <summary>Receivers added when an alert is still unacknowledged <see cref="After"/> it started firing.</summary>
internal sealed record EscalationStep(TimeSpan After, IReadOnlyList<string> Notify)
{
    /// <summary>When given, the step is taken only inside one of these (e.g. a manager paged in business hours only).</summary>
    public IReadOnlyList<TimeIntervalSet> ActiveTimeIntervals { get; init; } = [];

    /// <summary>Whether the step may be taken at <paramref name="now"/>.</summary>
    public bool OpenAt(DateTimeOffset now) => ActiveTimeIntervals.Count == 0 || ActiveTimeIntervals.Any(i => i.Contains(now));
}
