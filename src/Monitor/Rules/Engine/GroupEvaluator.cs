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
    private readonly Dictionary<RuleDefinition, HashSet<string>> _previous = [];

    public GroupEvaluator(RuleGroup group, ISampleStorage input, MemoryStorage output, IReadOnlyDictionary<string, string> externalLabels)
    {
        Group = group;
        _output = output;
        _evaluator = new Evaluator(input);
        AlertStates = group.Rules.Where(r => r.Alert is not null).ToDictionary(r => r, r => new AlertingRuleState(r, externalLabels));
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
            var written = new List<Label[]>();
            if (rule.Record is { } record)
            {
                foreach (var sample in vector)
                {
                    var labels = LabelSet.With(sample.Labels, LabelSet.MetricName, record);
                    foreach (var (name, v) in rule.Labels)
                    {
                        labels = LabelSet.With(labels, name, v);
                    }

                    _output.GetOrAdd(labels).Add(t, sample.Value);
                    written.Add(labels);
                }
            }
            else
            {
                var state = AlertStates[rule];
                transitions.AddRange(state.Evaluate(vector, ts));
                foreach (var alert in state.Alerts.Where(a => a.State != AlertState.Inactive))
                {
                    var labels = LabelSet.With(LabelSet.With(alert.Labels, LabelSet.MetricName, "ALERTS"), "alertstate", alert.State == AlertState.Firing ? "firing" : "pending");
                    _output.GetOrAdd(labels).Add(t, 1);
                    written.Add(labels);
                }
            }

            var keys = written.Select(LabelSet.Key).ToHashSet(StringComparer.Ordinal);
            if (_previous.TryGetValue(rule, out var before))
            {
                foreach (string gone in before.Where(k => !keys.Contains(k)))
                {
                    _output.GetByKey(gone)?.Add(t, StoredSeries.StaleNaN);
                }
            }

            _previous[rule] = keys;
        }

        return transitions;
    }
}
