namespace Monitor.Rules.Alerting;

/// <summary>What the alerting pipeline is handed after an evaluation: an alert that changed state.</summary>
internal sealed record AlertTransition(string Rule, ActiveAlert Alert, AlertState From, AlertState To);
