using Monitor.Metrics;
using Monitor.Rules.Alerting;
using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;
using Monitor.Rules.RuleFiles;
using Monitor.Templating;

namespace Monitor.Rules.Engine;

/// <summary>
/// Evaluates one rule group at a timestamp as Prometheus' rules manager does: rules in order, recording rules
/// writing their results back so later rules see them, alerting rules updating their alerts and writing
/// <c>ALERTS</c> and <c>ALERTS_FOR_STATE</c>; a series a rule stops producing gets a staleness marker. A rule
/// that fails (an evaluation error, duplicate label sets, the group's <c>limit</c>) keeps its last output and
/// state, records its error, and does not stop the rules after it.
/// </summary>
internal sealed class GroupEvaluator
{
    private readonly MemoryStorage _output;
    private readonly ISampleStorage _input;
    private readonly long _subqueryStepMs;
    private readonly Dictionary<RuleDefinition, HashSet<StoredSeries>> _previous = [];

    /// <summary>Per rule, the set the evaluation before last wrote: emptied and filled by the next evaluation.</summary>
    private readonly Dictionary<RuleDefinition, HashSet<StoredSeries>> _spare = [];

    /// <summary>The vectors this group's evaluations reuse, rule after rule and tick after tick.</summary>
    private readonly VectorPool _pool = new();

    public GroupEvaluator(RuleGroup group, ISampleStorage input, MemoryStorage output, IReadOnlyDictionary<string, string> externalLabels, long subqueryStepMs, string externalUrl = "", bool externalUrlFunctions = true)
    {
        Group = group;
        _input = input;
        _output = output;
        _subqueryStepMs = subqueryStepMs;
        AlertStates = group.Rules.Where(r => r.Alert is not null).ToDictionary(r => r, r => new AlertingRuleState(r, externalLabels, group.Name) { ExternalUrl = externalUrl, ExternalUrlFunctions = externalUrlFunctions });
    }

    public RuleGroup Group { get; }

    public Dictionary<RuleDefinition, AlertingRuleState> AlertStates { get; }

    /// <summary>Each rule's error from the last evaluation (absent when it succeeded).</summary>
    public Dictionary<RuleDefinition, string> LastErrors { get; } = [];

    /// <summary>The instant query rules and their templates run (rules.EngineQueryFunc).</summary>
    public List<PromSample> Query(Expr expr, long t) => Evaluator.QueryVector(expr, t, _input, _subqueryStepMs, _pool);

    /// <summary>A template's <c>query</c>: an instant query at the evaluation's time, as rules.EngineQueryFunc runs it.</summary>
    private List<TemplateSample> TemplateQuery(string query, long t)
    {
        Expr expr;
        try
        {
            expr = Parser.Parse(query);
        }
        catch (PromQLException e)
        {
            throw new TemplateFunctionException(e.ParseErrorText(query));
        }

        try
        {
            return [.. Query(expr, t).Select(s => new TemplateSample(s.Metric.ToDictionary(l => l.Name, l => l.Value, StringComparer.Ordinal), s.V))];
        }
        catch (PromQLException e)
        {
            throw new TemplateFunctionException(e.Message);
        }
    }

    public List<AlertTransition> Evaluate(DateTimeOffset ts)
    {
        long t = ts.ToUnixTimeMilliseconds();
        var transitions = new List<AlertTransition>();
        foreach (var rule in Group.Rules)
        {
            if (!_spare.Remove(rule, out var written))
            {
                written = new HashSet<StoredSeries>(ReferenceEqualityComparer.Instance);
            }

            written.Clear();
            try
            {
                if (rule.Record is not null)
                {
                    EvaluateRecording(rule, t, written);
                }
                else
                {
                    EvaluateAlerting(rule, ts, t, transitions, written);
                }

                LastErrors.Remove(rule);
            }
            catch (PromQLException e)
            {
                LastErrors[rule] = e.Message;
                _spare[rule] = written;
                continue;
            }

            if (_previous.TryGetValue(rule, out var before))
            {
                foreach (var gone in before)
                {
                    if (!written.Contains(gone))
                    {
                        gone.Add(t, StoredSeries.StaleNaN);
                    }
                }

                _spare[rule] = before;
            }

            _previous[rule] = written;
        }

        return transitions;
    }

    private void EvaluateRecording(RuleDefinition rule, long t, HashSet<StoredSeries> written)
    {
        var vector = Query(rule.Expr, t);
        var labelled = new List<PromSample>(vector.Count);
        foreach (var sample in vector)
        {
            var b = new Labels.Builder(sample.Metric).Set(LabelSet.MetricName, rule.Record!);
            foreach (var (name, value) in rule.Labels)
            {
                b.Set(name, value);
            }

            labelled.Add(sample with { Metric = b.Labels() });
        }

        _pool.Return(vector);

        if (Labels.ContainsSameLabelset(labelled))
        {
            throw new PromQLException("vector contains metrics with the same labelset after applying rule labels");
        }

        if (Group.Limit > 0 && labelled.Count > Group.Limit)
        {
            throw new PromQLException($"exceeded limit of {Group.Limit} with {labelled.Count} series");
        }

        foreach (var sample in labelled)
        {
            var series = _output.GetOrAdd(sample.Metric);
            series.Add(t, sample.V);
            written.Add(series);
        }
    }

    private void EvaluateAlerting(RuleDefinition rule, DateTimeOffset ts, long t, List<AlertTransition> transitions, HashSet<StoredSeries> written)
    {
        var vector = Query(rule.Expr, t);
        var state = AlertStates[rule];
        transitions.AddRange(state.Evaluate(vector, ts, q => TemplateQuery(q, t)));
        _pool.Return(vector);
        if (Group.Limit > 0)
        {
            int count = 0;
            foreach (var alert in state.Alerts)
            {
                count += alert.State != AlertState.Inactive ? 1 : 0;
            }

            if (count > Group.Limit)
            {
                state.Clear();
                throw new PromQLException($"exceeded limit of {Group.Limit} with {count} alerts");
            }
        }

        foreach (var alert in state.Alerts)
        {
            if (alert.State == AlertState.Inactive)
            {
                continue;
            }

            if (alert.AlertsSeries is not { } cached || cached.State != alert.State || cached.Alerts.Removed || cached.ForState.Removed)
            {
                // As AlertingRule.sample/forStateSample: the rule's labels as written, overridden by the alert's.
                var b = new Labels.Builder([.. rule.Labels.Select(l => new Label(l.Key, l.Value))]);
                foreach (var label in alert.Labels)
                {
                    b.Set(label.Name, label.Value);
                }

                b.Set("alertname", rule.Alert!);
                var forState = b.Set(LabelSet.MetricName, "ALERTS_FOR_STATE").Labels();
                var alerts = b.Set(LabelSet.MetricName, "ALERTS").Set("alertstate", alert.State == AlertState.Firing ? "firing" : "pending").Labels();
                alert.AlertsSeries = cached = (alert.State, _output.GetOrAdd(alerts), _output.GetOrAdd(forState));
            }

            cached.Alerts.Add(t, 1);
            written.Add(cached.Alerts);
            cached.ForState.Add(t, alert.ActiveAt.ToUnixTimeSeconds());
            written.Add(cached.ForState);
        }
    }
}
