using Monitor.Metrics;
using Monitor.Rules.Alerting;
using Monitor.Rules.Evaluation;
using Monitor.Rules.RuleFiles;

namespace Monitor.Rules.Engine;

/// <summary>
/// Evaluates one rule group at a timestamp, in order: recording rules write their results back so later
/// rules of the group see them, alerting rules update their alerts and write <c>ALERTS</c>; series a rule
/// stops producing get a staleness marker, as Prometheus does.
/// </summary>
internal sealed class GroupEvaluator
{
    private readonly MemoryStorage _output;
    private readonly Evaluator _evaluator;
    private readonly Dictionary<RuleDefinition, HashSet<StoredSeries>> _previous = [];

    public GroupEvaluator(RuleGroup group, ISampleStorage input, MemoryStorage output, IReadOnlyDictionary<string, string> externalLabels)
    {
        Group = group;
        _output = output;
        _evaluator = new Evaluator(input);
        AlertStates = group.Rules.Where(r => r.Alert is not null).ToDictionary(r => r, r => new AlertingRuleState(r, externalLabels, group.Name));
    }

    public RuleGroup Group { get; }

    public Dictionary<RuleDefinition, AlertingRuleState> AlertStates { get; }

    public List<AlertTransition> Evaluate(DateTimeOffset ts)
    {
        long t = ts.ToUnixTimeMilliseconds();
        var transitions = new List<AlertTransition>();
        foreach (var rule in Group.Rules)
        {
            var value = _evaluator.Evaluate(rule.Expr, t);
            var vector = value switch
            {
                List<PromSample> v => v,
                double d => [new PromSample([], d)],
                _ => [],
            };
            var written = new HashSet<StoredSeries>(ReferenceEqualityComparer.Instance);
            if (rule.Record is { } record)
            {
                foreach (var sample in vector)
                {
                    var labels = LabelSet.With(sample.Labels, LabelSet.MetricName, record);
                    foreach (var (name, v) in rule.Labels)
                    {
                        labels = LabelSet.With(labels, name, v);
                    }

                    var series = _output.GetOrAdd(labels);
                    series.Add(t, sample.Value);
                    written.Add(series);
                }
            }
            else
            {
                var state = AlertStates[rule];
                transitions.AddRange(state.Evaluate(vector, ts));
                foreach (var alert in state.Alerts.Where(a => a.State != AlertState.Inactive))
                {
                    if (alert.AlertsSeries is not { } cached || cached.State != alert.State)
                    {
                        var labels = LabelSet.With(LabelSet.With(alert.Labels, LabelSet.MetricName, "ALERTS"), "alertstate", alert.State == AlertState.Firing ? "firing" : "pending");
                        alert.AlertsSeries = cached = (alert.State, _output.GetOrAdd(labels));
                    }

                    cached.Series.Add(t, 1);
                    written.Add(cached.Series);
                }
            }

            if (_previous.TryGetValue(rule, out var before))
            {
                foreach (var gone in before.Where(s => !written.Contains(s)))
                {
                    gone.Add(t, StoredSeries.StaleNaN);
                }
            }

            _previous[rule] = written;
        }

        return transitions;
    }
}
