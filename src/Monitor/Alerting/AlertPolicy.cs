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

    /// <summary>The first matching route's index and receivers, else -1 and the severity's <c>notify</c>.</summary>
    public (int Route, IReadOnlyList<string> Receivers) Route(AlertRecord alert)
    {
        var routes = _options.Routing.Routes;
        for (int i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            if (route.Match.All(m => LabelEquals(alert.Labels, m.Key, m.Value))
                && route.MatchRe.All(m => m.Value.IsMatch(alert.Labels.GetValueOrDefault(m.Key, ""))))
            {
                return (i, route.Notify);
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
        var steps = Escalation(group.Severity);
        for (int i = 0; i < group.EscalationStep && i < steps.Count; i++)
        {
            receivers.AddRange(steps[i].Notify.Where(r => !receivers.Contains(r)));
        }

        return receivers;
    }

    /// <summary>Muted by a recurring window of the config or an ad-hoc silence active at <paramref name="now"/>.</summary>
    public bool Silenced(AlertRecord alert, DateTimeOffset now, IEnumerable<Silence> silences)
    {
        foreach (var window in _options.Silences)
        {
            if (WindowActive(window, now) && window.Matchers.All(m => LabelEquals(alert.Labels, m.Key, m.Value)))
            {
                return true;
            }
        }

        return silences.Any(s => s.ActiveAt(now) && s.Matches(alert.Labels));
    }

    /// <summary>A recurring window is open when an occurrence of its cron falls in (now − duration, now].</summary>
    public static bool WindowActive(SilenceWindow window, DateTimeOffset now) =>
        window.Cron.Next(now - window.Duration, window.TimeZone) is { } start && start <= now;

    /// <summary>
    /// Alertmanager's inhibition: the alert matches a rule's target, and a firing alert that matches the rule's
    /// source (and is not the alert itself) has equal values (both missing counts as equal) for every
    /// <c>equal</c> label.
    /// </summary>
    public bool Inhibited(AlertRecord alert, IReadOnlyCollection<AlertRecord> firing)
    {
        foreach (var rule in _options.Inhibit)
        {
            if (!rule.Target.All(m => LabelEquals(alert.Labels, m.Key, m.Value)))
            {
                continue;
            }

            foreach (var source in firing)
            {
                if (source.Fingerprint != alert.Fingerprint
                    && rule.Source.All(m => LabelEquals(source.Labels, m.Key, m.Value))
                    && rule.Equal.All(e => source.Labels.GetValueOrDefault(e, "") == alert.Labels.GetValueOrDefault(e, "")))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Label equality, where <c>severity</c> compares by meaning: <c>P1</c> matches <c>critical</c>.</summary>
    public static bool LabelEquals(IReadOnlyDictionary<string, string> labels, string name, string expected)
    {
        string actual = labels.GetValueOrDefault(name, "");
        if (name == "severity" && SeverityNames.TryParse(actual, out var a) && SeverityNames.TryParse(expected, out var b))
        {
            return a == b;
        }

        return string.Equals(actual, expected, StringComparison.Ordinal);
    }
}
