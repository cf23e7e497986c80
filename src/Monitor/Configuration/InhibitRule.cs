namespace Monitor.Configuration;

/// <summary>Alertmanager inhibition: a firing source mutes targets that agree on <see cref="Equal"/>.</summary>
internal sealed record InhibitRule(
    IReadOnlyDictionary<string, string> Source,
    IReadOnlyDictionary<string, string> Target,
    IReadOnlyList<string> Equal);
