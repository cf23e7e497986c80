namespace Monitor.Rules.RuleFiles;

internal sealed record RuleGroup(string Name, string File, TimeSpan? Interval, IReadOnlyList<RuleDefinition> Rules);
