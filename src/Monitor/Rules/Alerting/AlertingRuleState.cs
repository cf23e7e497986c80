using Monitor.Metrics;
using Monitor.Rules.Evaluation;
using Monitor.Rules.RuleFiles;
using Monitor.Templating;

namespace Monitor.Rules.Alerting;

/// <summary>
/// Prometheus' AlertingRule.Eval: results become pending alerts, pending alerts fire after <c>for</c>, an
/// alert whose series is gone resolves (after <c>keep_firing_for</c>), and resolved alerts are kept 15 m so
/// their resolution can still be sent.
/// </summary>
internal sealed class AlertingRuleState(RuleDefinition rule, IReadOnlyDictionary<string, string> externalLabels, string group = "")
{
    private static readonly TimeSpan ResolvedRetention = TimeSpan.FromMinutes(15);

    private readonly Dictionary<string, ActiveAlert> _active = new(StringComparer.Ordinal);
    private readonly bool _labelsTemplated = rule.Labels.Values.Any(v => v.Contains("{{", StringComparison.Ordinal));
    private readonly bool _annotationsTemplated = rule.Annotations.Values.Any(v => v.Contains("{{", StringComparison.Ordinal));
    private Dictionary<Label[], (Label[] Labels, string Key)> _labelCache = new(ReferenceEqualityComparer.Instance);

    // Kept between evaluations and emptied for each: the next evaluation's label cache, the keys one evaluation
    // saw, and the alerts it looks over (an evaluation allocates per transition, not per result).
    private Dictionary<Label[], (Label[] Labels, string Key)> _nextCache = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly List<KeyValuePair<string, ActiveAlert>> _scan = [];

    public RuleDefinition Rule { get; } = rule;

    public IEnumerable<ActiveAlert> Alerts => _active.Values;

    /// <summary>The external URL templates see as <c>$externalURL</c>.</summary>
    public string ExternalUrl { get; init; } = string.Empty;

    /// <summary>Whether the <c>externalURL</c> and <c>pathPrefix</c> functions work (not under test-rules, as under promtool).</summary>
    public bool ExternalUrlFunctions { get; init; } = true;

    /// <summary>Forgets every alert (the group's limit was exceeded).</summary>
    public void Clear() => _active.Clear();

    public List<AlertTransition> Evaluate(List<PromSample> result, DateTimeOffset ts, Func<string, IReadOnlyList<TemplateSample>>? query = null)
    {
        var options = new TemplateOptions { Query = query, ExternalUrl = ExternalUrl, ExternalUrlFunctions = ExternalUrlFunctions, Name = "__alert_" + Rule.Alert };
        var transitions = new List<AlertTransition>();
        var seen = _seen;
        seen.Clear();
        var nextCache = _nextCache;
        nextCache.Clear();
        foreach (var sample in result)
        {
            IReadOnlyDictionary<string, string>? templateLabels = null;

            if (_labelsTemplated || !_labelCache.TryGetValue(sample.Metric, out var cached))
            {
                var labels = new List<Label>(LabelSet.DropName(sample.Metric));
                foreach (var (name, template) in Rule.Labels)
                {
                    labels.RemoveAll(l => l.Name == name);
                    labels.Add(new Label(name, TemplateExpander.Expand(template, TemplateLabels(ref templateLabels, sample.Metric), sample.V, externalLabels, options)));
                }

                labels.RemoveAll(l => l.Name == LabelSet.MetricName || l.Name == "alertname");
                labels.Add(new Label("alertname", Rule.Alert!));
                var built = LabelSet.Sorted(labels);
                cached = (built, LabelSet.Key(built));
            }

            nextCache[sample.Metric] = cached;
            var (sorted, key) = cached;
            if (!seen.Add(key))
            {
                throw new PromQL.PromQLException("vector contains metrics with the same labelset after applying alert labels");
            }

            if (_active.TryGetValue(key, out var existing) && existing.State != AlertState.Inactive)
            {
                existing.Value = sample.V;
                existing.RestoredUntil = null;
                existing.RestoredEvidence = null;
                if (_annotationsTemplated)
                {
                    existing.Annotations = Annotations(TemplateLabels(ref templateLabels, sample.Metric), sample.V, options);
                }

                continue;
            }

            var annotations = Annotations(TemplateLabels(ref templateLabels, sample.Metric), sample.V, options);

            _active[key] = new ActiveAlert { Labels = sorted, Annotations = annotations, ActiveAt = ts, State = AlertState.Pending, Value = sample.V };
            transitions.Add(new AlertTransition(Rule.Name, _active[key], AlertState.Inactive, AlertState.Pending) { Group = group });
        }

        (_labelCache, _nextCache) = (nextCache, _labelCache);
        _scan.Clear();
        _scan.AddRange(_active);
        foreach (var (key, alert) in _scan)
        {
            if (!seen.Contains(key))
            {
                if (alert.RestoredUntil is { } until && ts < until && alert.RestoredEvidence?.Invoke(ts) != true)
                {
                    continue; // restored after a restart: its checks have not all run yet
                }

                bool keepFiring = false;
                if (alert.State == AlertState.Firing && Rule.KeepFiringFor > TimeSpan.Zero)
                {
                    alert.KeepFiringSince ??= ts;
                    keepFiring = ts - alert.KeepFiringSince.Value < Rule.KeepFiringFor;
                }

                if (alert.State == AlertState.Pending || (alert.ResolvedAt is { } resolved && ts - resolved > ResolvedRetention))
                {
                    _active.Remove(key);
                }

                if (alert.State != AlertState.Inactive && !keepFiring)
                {
                    transitions.Add(new AlertTransition(Rule.Name, alert, alert.State, AlertState.Inactive) { Group = group });
                    alert.State = AlertState.Inactive;
                    alert.ResolvedAt = ts;
                }

                if (!keepFiring)
                {
                    continue;
                }
            }
            else
            {
                alert.KeepFiringSince = null;
            }

            if (alert.State == AlertState.Pending && ts - alert.ActiveAt >= Rule.For)
            {
                alert.State = AlertState.Firing;
                alert.FiredAt = ts;
                transitions.Add(new AlertTransition(Rule.Name, alert, AlertState.Pending, AlertState.Firing) { Group = group });
            }
        }

        _scan.Clear();
        seen.Clear();
        return transitions;
    }

    /// <summary>A sample's labels as templates see them, made the first time a template needs them.</summary>
    private static IReadOnlyDictionary<string, string> TemplateLabels(ref IReadOnlyDictionary<string, string>? made, Label[] metric) =>
        made ??= metric.ToDictionary(l => l.Name, l => l.Value, StringComparer.Ordinal);

    /// <summary>
    /// Seeds an alert from the durable store (pending or firing) unless the rule already holds it, so its
    /// <c>for</c> timer continues from <paramref name="restored"/>'s ActiveAt instead of starting again.
    /// </summary>
    public void Restore(RestoredAlert restored, DateTimeOffset graceUntil, Func<DateTimeOffset, bool>? evidence = null)
    {
        var sorted = LabelSet.Sorted([.. restored.Labels]);
        string key = LabelSet.Key(sorted);
        if (_active.TryGetValue(key, out var existing) && existing.State != AlertState.Inactive)
        {
            return;
        }

        _active[key] = new ActiveAlert
        {
            Labels = sorted,
            Annotations = restored.Annotations,
            ActiveAt = restored.ActiveAt,
            State = restored.State,
            FiredAt = restored.FiredAt,
            Value = restored.Value,
            RestoredUntil = graceUntil,
            RestoredEvidence = evidence,
        };
    }

    private Dictionary<string, string> Annotations(IReadOnlyDictionary<string, string> labels, double value, TemplateOptions options) =>
        Rule.Annotations.ToDictionary(a => a.Key, a => TemplateExpander.Expand(a.Value, labels, value, externalLabels, options), StringComparer.Ordinal);
}
