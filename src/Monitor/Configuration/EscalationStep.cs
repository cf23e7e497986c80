namespace Monitor.Configuration;

/// <summary>Receivers added when an alert is still unacknowledged <see cref="After"/> it started firing.</summary>
internal sealed record EscalationStep(TimeSpan After, IReadOnlyList<string> Notify);
