namespace Monitor.Metrics;

/// <summary>One label of a series.</summary>
internal readonly record struct Label(string Name, string Value);
