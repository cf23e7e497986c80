namespace Monitor.Configuration;

/// <summary>
/// The severity levels of a configuration, most urgent first, with the names and aliases that select them in
/// <c>labels.severity</c> (case-insensitive). Without <c>severities.levels</c> they are P1–P4 with the aliases
/// critical, error, warning and info.
/// </summary>
internal sealed class SeverityLevels
{
    private readonly Dictionary<string, Severity> _byName = new(StringComparer.OrdinalIgnoreCase);

    public SeverityLevels(IReadOnlyList<(string Name, IReadOnlyList<string> Aliases)> levels, string? unknownAs = null)
    {
        if (levels.Count == 0)
        {
            throw new ArgumentException("at least one severity level", nameof(levels));
        }

        var all = new List<Severity>();
        for (int i = 0; i < levels.Count; i++)
        {
            var level = new Severity(levels[i].Name, i + 1);
            all.Add(level);
            _byName[level.Name] = level;
            foreach (string alias in levels[i].Aliases)
            {
                _byName.TryAdd(alias, level);
            }
        }

        All = all;
        Unknown = unknownAs is not null && _byName.TryGetValue(unknownAs, out var chosen) ? chosen : all[^1];
    }

    /// <summary>
    /// P1–P4 with the severities rule files in the wild use: critical and page (Prometheus's own examples), error,
    /// warning and ticket, info and none (kubernetes-mixin's Watchdog); an alert without a known level is P3, as before.
    /// </summary>
    public static SeverityLevels BuiltIn { get; } = new(
        [("P1", ["critical", "page"]), ("P2", ["error"]), ("P3", ["warning", "ticket"]), ("P4", ["info", "none"])], "P3");

    /// <summary>The levels, most urgent first.</summary>
    public IReadOnlyList<Severity> All { get; }

    /// <summary>
    /// The level of an alert whose severity label is missing or names no level (only possible for alerts that no
    /// check-config saw: Alertmanager's webhook, templated labels): P3 for the built-in set, else
    /// <c>severities.unknown_as</c>, else the least urgent level.
    /// </summary>
    public Severity Unknown { get; }

    /// <summary>Whether these are the built-in P1–P4.</summary>
    public bool IsBuiltIn => All.Count == 4 && All.All(s => s.IsBuiltIn);

    public bool TryParse(string? text, out Severity severity)
    {
        severity = default;
        return text is not null && _byName.TryGetValue(text.Trim(), out severity);
    }

    /// <summary>The names and aliases, for error messages.</summary>
    public string Describe() => string.Join(", ", All.Select(s => s.Name));
}
