namespace Monitor.Configuration;

/// <summary>The P1–P4 policy of one severity (docs/configuration.md, docs/alerting.md).</summary>
internal sealed record SeverityPolicy
{
    /// <summary>SLA clock for acknowledgement.</summary>
    public required TimeSpan AckWithin { get; init; }

    /// <summary>SLA clock for resolution; null when switched off (<c>resolve_within: off</c>).</summary>
    public required TimeSpan? ResolveWithin { get; init; }

    /// <summary>Receivers notified first.</summary>
    public required IReadOnlyList<string> Notify { get; init; }

    /// <summary>Repeat interval while unacknowledged.</summary>
    public required TimeSpan Repeat { get; init; }

    /// <summary>Receiver used when every receiver of <see cref="Notify"/> keeps failing. <value>Default none.</value></summary>
    public string? Fallback { get; init; }

    /// <summary>
    /// The documented defaults (docs/configuration.md). Their receiver names (pager, slack, email) are kept only where a receiver of
    /// that name exists, so a config without them is still valid.
    /// </summary>
    public static Dictionary<Severity, SeverityPolicy> Defaults(IReadOnlyCollection<string> receivers) => Defaults(receivers, SeverityLevels.BuiltIn);

    /// <summary>
    /// The defaults for configured levels: by position, the first level gets P1's, the second P2's, and so on, every
    /// level past the fourth P4's.
    /// </summary>
    public static Dictionary<Severity, SeverityPolicy> Defaults(IReadOnlyCollection<string> receivers, SeverityLevels levels)
    {
        var builtIn = BuiltInDefaults(receivers);
        return levels.All.ToDictionary(s => s, s => builtIn[Severity.BuiltIn[Math.Min(s.Rank, 4) - 1]]);
    }

    private static Dictionary<Severity, SeverityPolicy> BuiltInDefaults(IReadOnlyCollection<string> receivers)
    {
        IReadOnlyList<string> Existing(params string[] names) => [.. names.Where(receivers.Contains)];
        return new()
        {
            [Severity.P1] = new() { AckWithin = TimeSpan.FromMinutes(15), ResolveWithin = TimeSpan.FromHours(2), Notify = Existing("pager", "slack", "email"), Repeat = TimeSpan.FromMinutes(15) },
            [Severity.P2] = new() { AckWithin = TimeSpan.FromMinutes(30), ResolveWithin = TimeSpan.FromHours(4), Notify = Existing("pager", "slack"), Repeat = TimeSpan.FromHours(1) },
            [Severity.P3] = new() { AckWithin = TimeSpan.FromHours(2), ResolveWithin = TimeSpan.FromDays(1), Notify = Existing("slack"), Repeat = TimeSpan.FromHours(4) },
            [Severity.P4] = new() { AckWithin = TimeSpan.FromDays(1), ResolveWithin = TimeSpan.FromDays(7), Notify = Existing("email"), Repeat = TimeSpan.FromDays(1) },
        };
    }
}
