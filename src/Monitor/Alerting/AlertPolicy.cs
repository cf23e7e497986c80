using Monitor.Configuration;

namespace Monitor.Alerting;

/// <summary>
/// The P1–P4 policy of a configuration in the form the decision core asks it: which receivers an alert goes to,
/// which group it joins, whether it is silenced or inhibited, and the timings of its severity.
/// </summary>
internal sealed class AlertPolicy
{
    private readonly MonitorOptions _options;

    public AlertPolicy(MonitorOptions options) => _options = options;

    public TimeSpan GroupWait => _options.Routing.GroupWait;

    public TimeSpan GroupInterval => _options.Routing.GroupInterval;

    public SeverityPolicy For(Severity severity) => _options.Severities[severity];

    public IReadOnlyList<EscalationStep> Escalation(Severity severity) =>
        _options.Escalation.TryGetValue(severity, out var steps) ? steps : [];

    /// <summary>The chain of a group: its route's own <c>escalation</c> if it has one, else its severity's.</summary>
    public IReadOnlyList<EscalationStep> Escalation(GroupState group, AlertRecord? sample) =>
        sample is not null && RouteOf(sample) is { Escalation: { } own } ? own : Escalation(group.Severity);

    /// <summary>
    /// Whether the alert's route holds it at <paramref name="now"/>: outside all its <c>active_time_intervals</c>
    /// or inside one of its <c>mute_time_intervals</c>. A held alert is told nothing until the interval opens.
    /// </summary>
    public bool Held(AlertRecord alert, DateTimeOffset now) => RouteOf(alert)?.HeldAt(now) ?? false;

    /// <summary>
    /// Whether a group is held: by its sample's route, or, when none of its alerts is firing any more (only
    /// resolutions are owed), by the route its key names.
    /// </summary>
    public bool Held(GroupState group, AlertRecord? sample, DateTimeOffset now)
    {
        if (sample is not null)
        {
            return Held(sample, now);
        }

        string[] parts = group.Key.Split('/', 3);
        var routes = _options.Routing.Routes;
        return parts.Length == 3 && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out int i) && i >= 0 && i < routes.Count && routes[i].HeldAt(now);
    }

    private Configuration.RouteOptions? RouteOf(AlertRecord alert) => Route(alert).Route is int i and >= 0 ? _options.Routing.Routes[i] : null;

    /// <summary>The first matching route's index and receivers, else -1 and the severity's <c>notify</c>.</summary>
    public (int Route, IReadOnlyList<string> Receivers) Route(AlertRecord alert)
    {
        var routes = _options.Routing.Routes;
        for (int i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            if (route.Match.All(m => LabelEquals(alert.Labels, m.Key, m.Value, _options.Levels))
                && route.MatchRe.All(m => m.Value.IsMatch(alert.Labels.GetValueOrDefault(m.Key, ""))))
            {
                return (i, route.Notify ?? For(alert.Severity).Notify);
            }
        }

        return (-1, For(alert.Severity).Notify);
    }

    /// <summary>The group an alert joins: its severity, its route and its <c>group_by</c> label values.</summary>
    public (string Key, SortedDictionary<string, string> Labels) GroupOf(AlertRecord alert)
    {
        var (route, _) = Route(alert);
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in _options.Routing.GroupBy)
        {
            if (alert.Labels.TryGetValue(name, out var value))
            {
                labels[name] = value;
            }
        }

        string key = $"{alert.Severity}/{route}/{{{string.Join(",", labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}}";
        return (key, labels);
    }

    /// <summary>Receivers of a group: its route's (or severity's) receivers plus those of the escalation steps reached.</summary>
    public IReadOnlyList<string> Receivers(GroupState group, AlertRecord sample)
    {
        var receivers = new List<string>(Route(sample).Receivers);
        var steps = Escalation(group, sample);
        for (int i = 0; i < group.EscalationStep && i < steps.Count; i++)
        {
            receivers.AddRange(steps[i].Notify.Where(r => !receivers.Contains(r)));
        }

        return receivers;
    }

    /// <summary>
    /// Everything that can mute an alert at <paramref name="now"/>, worked out once per decision: the open
    /// windows, the active silences, and per inhibit rule the <c>equal</c> values of the firing sources, so each
    /// alert is then checked in time proportional to the number of rules, not of alerts.
    /// </summary>
    public Suppression SuppressionAt(DateTimeOffset now, IEnumerable<Silence> silences, IReadOnlyCollection<AlertRecord> firing) =>
        new(this, now, silences, firing);

    internal sealed class Suppression
    {
        private readonly SeverityLevels _levels;
        private readonly List<SilenceWindow> _windows;
        private readonly List<Silence> _silences;
        private readonly List<(InhibitRule Rule, Dictionary<string, (int Count, string Fingerprint)> Sources)> _inhibitions = [];

        public Suppression(AlertPolicy policy, DateTimeOffset now, IEnumerable<Silence> silences, IReadOnlyCollection<AlertRecord> firing)
        {
            _levels = policy._options.Levels;
            _windows = [.. policy._options.Silences.Where(w => WindowActive(w, now))];
            _silences = [.. silences.Where(s => s.ActiveAt(now))];
            foreach (var rule in policy._options.Inhibit)
            {
                var sources = new Dictionary<string, (int Count, string Fingerprint)>(StringComparer.Ordinal);
                foreach (var source in firing)
                {
                    if (rule.Source.All(m => LabelEquals(source.Labels, m.Key, m.Value, policy._options.Levels)))
                    {
                        string key = EqualKey(rule, source);
                        sources[key] = sources.TryGetValue(key, out var seen) ? (seen.Count + 1, seen.Fingerprint) : (1, source.Fingerprint);
                    }
                }

                _inhibitions.Add((rule, sources));
            }
        }

        public bool Silenced(AlertRecord alert) =>
            _windows.Any(w => w.Matchers.All(m => LabelEquals(alert.Labels, m.Key, m.Value, _levels))) || _silences.Any(s => s.Matches(alert.Labels));

        /// <summary>Alertmanager's rule: some firing source other than the alert itself agrees on every <c>equal</c> label.</summary>
        public bool Inhibited(AlertRecord alert)
        {
            foreach (var (rule, sources) in _inhibitions)
            {
                if (sources.Count > 0
                    && rule.Target.All(m => LabelEquals(alert.Labels, m.Key, m.Value, _levels))
                    && sources.TryGetValue(EqualKey(rule, alert), out var found)
                    && (found.Count > 1 || found.Fingerprint != alert.Fingerprint))
                {
                    return true;
                }
            }

            return false;
        }

        private static string EqualKey(InhibitRule rule, AlertRecord alert) =>
            string.Join("\u0000", rule.Equal.Select(e => alert.Labels.GetValueOrDefault(e, "")));
    }

    /// <summary>Muted by a recurring window of the config or an ad-hoc silence active at <paramref name="now"/>.</summary>
    public bool Silenced(AlertRecord alert, DateTimeOffset now, IEnumerable<Silence> silences) =>
        SuppressionAt(now, silences, []).Silenced(alert);

    /// <summary>A recurring window is open when an occurrence of its cron falls in (now − duration, now].</summary>
    public static bool WindowActive(SilenceWindow window, DateTimeOffset now) =>
        window.Cron.Next(now - window.Duration, window.TimeZone) is { } start && start <= now;

    /// <summary>Label equality, where <c>severity</c> compares by meaning: <c>P1</c> matches <c>critical</c>.</summary>
    public static bool LabelEquals(IReadOnlyDictionary<string, string> labels, string name, string expected) =>
        LabelEquals(labels, name, expected, SeverityLevels.BuiltIn);

    /// <summary>Label equality, where <c>severity</c> compares by meaning in the configured levels.</summary>
    public static bool LabelEquals(IReadOnlyDictionary<string, string> labels, string name, string expected, SeverityLevels levels)
    {
        string actual = labels.GetValueOrDefault(name, "");
        if (name == "severity" && levels.TryParse(actual, out var a) && levels.TryParse(expected, out var b))
        {
            return a == b;
        }

        return string.Equals(actual, expected, StringComparison.Ordinal);
    }
}
