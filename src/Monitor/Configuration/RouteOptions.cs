using System.Text.RegularExpressions;

namespace Monitor.Configuration;

internal sealed record RouteOptions
{
    /// <summary>Labels that must be equal.</summary>
    public IReadOnlyDictionary<string, string> Match { get; init; } = new Dictionary<string, string>();

    /// <summary>Labels that must match a (fully anchored) regular expression.</summary>
    public IReadOnlyDictionary<string, Regex> MatchRe { get; init; } = new Dictionary<string, Regex>();

    /// <summary>Receivers of matching alerts; null: their severity's <c>notify</c>.</summary>
    public IReadOnlyList<string>? Notify { get; init; }

    /// <summary>The route's own escalation chain, replacing the severity's for the alerts it routes; null: the severity's.</summary>
    public IReadOnlyList<EscalationStep>? Escalation { get; init; }

    /// <summary>Its alerts are held unless one of these is active (Alertmanager's <c>active_time_intervals</c>).</summary>
    public IReadOnlyList<TimeIntervalSet> ActiveTimeIntervals { get; init; } = [];

    /// <summary>Its alerts are held while one of these is active (Alertmanager's <c>mute_time_intervals</c>).</summary>
    public IReadOnlyList<TimeIntervalSet> MuteTimeIntervals { get; init; } = [];

    /// <summary>Whether its alerts are held at <paramref name="now"/>: a mute interval is active, or no active interval is.</summary>
    public bool HeldAt(DateTimeOffset now) =>
        MuteTimeIntervals.Any(i => i.Contains(now)) || (ActiveTimeIntervals.Count > 0 && !ActiveTimeIntervals.Any(i => i.Contains(now)));
}
