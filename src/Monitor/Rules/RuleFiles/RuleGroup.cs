namespace Monitor.Rules.RuleFiles;

/// <summary>A rule group: its rules in order, its own interval if set, and its <c>limit</c> (0: none) on series or alerts per rule.</summary>
internal sealed record RuleGroup(string Name, string File, TimeSpan? Interval, IReadOnlyList<RuleDefinition> Rules, int Limit = 0);
