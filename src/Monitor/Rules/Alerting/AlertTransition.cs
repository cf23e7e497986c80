namespace Monitor.Rules.Alerting;

/// <summary>What the alerting pipeline is handed after an evaluation: an alert that changed state.</summary>
internal sealed record AlertTransition(string Rule, ActiveAlert Alert, AlertState From, AlertState To)
{
    /// <summary>Name of the rule group the alert belongs to.</summary>
    public string Group { get; init; } = "";
}

/// <summary>An alert handed back to the rules from the durable store, so its <c>for</c> timer continues.</summary>
internal sealed record RestoredAlert(string Key, string Group, Metrics.Label[] Labels, AlertState State, DateTimeOffset ActiveAt, DateTimeOffset? FiredAt, double Value, IReadOnlyDictionary<string, string> Annotations);
