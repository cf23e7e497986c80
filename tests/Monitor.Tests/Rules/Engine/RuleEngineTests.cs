using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Rules.Alerting;
using Monitor.Rules.Engine;
using Monitor.Rules.RuleFiles;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Rules.Engine;

public class RuleEngineTests
{
    private sealed class RecordingSink : IAlertSink
    {
        public List<(AlertTransition Transition, DateTimeOffset At)> Seen { get; } = [];

        public void Publish(IReadOnlyList<AlertTransition> transitions, DateTimeOffset at)
        {
            lock (Seen)
            {
                Seen.AddRange(transitions.Select(t => (t, at)));
            }
        }
    }

    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Tick_OverLiveSeries_PendingFiringResolved()
    {
        var store = new SeriesStore();
        var time = new FakeTimeProvider(T0);
        var sink = new RecordingSink();
        var engine = new RuleEngine(store, time, sink, NullLogger<RuleEngine>.Instance);
        var (groups, errors) = RuleFileLoader.Parse("""
            groups:
            - name: g
              rules:
              - alert: Down
                expr: probe_success == 0
                for: 1m
                labels: { severity: P2 }
                annotations: { summary: "{{ $labels.check }} down" }
              - alert: Flapping
                expr: changes_proxy > 2
            """, "t.rules.yml");
        Assert.Empty(errors);
        engine.Apply(new MonitorOptions { SourceFile = "t", EvaluationInterval = TimeSpan.FromSeconds(15) }, groups);
        var scope = new SeriesScope(store, "web", new Dictionary<string, string> { ["team"] = "ops" });
        var success = scope.Gauge("probe_success", "S.");
        success.Set(1);

        engine.Tick(T0);
        success.Set(0);
        engine.Tick(T0.AddSeconds(15));
        engine.Tick(T0.AddSeconds(60));
        engine.Tick(T0.AddSeconds(75));
        success.Set(1);
        engine.Tick(T0.AddSeconds(90));

        Assert.Equal(
            [(AlertState.Inactive, AlertState.Pending, 15), (AlertState.Pending, AlertState.Firing, 75), (AlertState.Firing, AlertState.Inactive, 90)],
            sink.Seen.Select(s => (s.Transition.From, s.Transition.To, (int)(s.At - T0).TotalSeconds)));
        var alert = sink.Seen[1].Transition.Alert;
        Assert.Equal("web down", alert.Annotations["summary"]);
        Assert.Equal(["alertname", "check", "severity", "team"], alert.Labels.Select(l => l.Name));
    }

    /// <summary>One rule, <c>Down: probe_success == 0</c>, evaluated every 15 s.</summary>
    private static void ApplyDownRule(RuleEngine engine)
    {
        var (groups, errors) = RuleFileLoader.Parse("""
            groups:
            - name: g
              rules:
              - alert: Down
                expr: probe_success == 0
            """, "t.rules.yml");
        Assert.Empty(errors);
        engine.Apply(new MonitorOptions { SourceFile = "t", EvaluationInterval = TimeSpan.FromSeconds(15) }, groups);
    }

    /// <summary>With no rules the loop parks on the next configuration instead of ticking every second.</summary>
    [Fact]
    public async Task Loop_WithoutRules_DoesNoEvaluationWork_UntilRulesArrive()
    {
        var store = new SeriesStore();
        var time = new FakeTimeProvider(T0);
        using var engine = new RuleEngine(store, time, new RecordingSink(), NullLogger<RuleEngine>.Instance);
        await engine.StartAsync(CancellationToken.None);
        Assert.True(SpinWait.SpinUntil(() => engine.Idle, TimeSpan.FromSeconds(30)), "the loop never parked");
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.True(engine.Idle);
        Assert.Equal(0, engine.Evaluations);

        ApplyDownRule(engine);
        Assert.True(SpinWait.SpinUntil(() => !engine.Idle, TimeSpan.FromSeconds(30)), "rules did not wake the loop");
        Assert.True(SpinWait.SpinUntil(
            () =>
            {
                time.Advance(TimeSpan.FromSeconds(15));
                return engine.Evaluations > 0;
            },
            TimeSpan.FromSeconds(30)), "no evaluation after rules arrived");
        await engine.StopAsync(CancellationToken.None);
    }

    /// <summary>
    /// A check that goes down between two regular evaluations nudges the engine: the rules are evaluated at that
    /// moment (to the millisecond), not up to an interval later, and the next regular tick goes on as before.
    /// </summary>
    [Fact]
    public async Task Loop_Nudged_EvaluatesAtOnce_BetweenRegularTicks()
    {
        var store = new SeriesStore();
        var time = new FakeTimeProvider(T0);
        var sink = new RecordingSink();
        using var engine = new RuleEngine(store, time, sink, NullLogger<RuleEngine>.Instance);
        ApplyDownRule(engine);
        var success = new SeriesScope(store, "web", new Dictionary<string, string>()).Gauge("probe_success", "S.");
        success.Set(1);
        await engine.StartAsync(CancellationToken.None);
        Assert.True(SpinWait.SpinUntil(() => engine.WaitingFor == T0.AddSeconds(15), TimeSpan.FromSeconds(30)), "the loop is not waiting for 00:15");
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.True(SpinWait.SpinUntil(() => engine.WaitingFor == T0.AddSeconds(30), TimeSpan.FromSeconds(30)), "no regular evaluation at 00:15");
        long regular = engine.Evaluations;
        time.Advance(TimeSpan.FromMilliseconds(7_250));
        var downAt = time.GetUtcNow();
        success.Set(0);
        engine.Nudge("web");
        Assert.True(SpinWait.SpinUntil(() => { lock (sink.Seen) { return sink.Seen.Count > 0; } }, TimeSpan.FromSeconds(30)), "the nudge did not evaluate");
        Assert.Equal(regular + 1, engine.Evaluations);
        lock (sink.Seen)
        {
            Assert.Equal(AlertState.Firing, sink.Seen[^1].Transition.To); // through pending in the same evaluation (no `for`)
            Assert.All(sink.Seen, s => Assert.Equal(downAt, s.At)); // the fake clock stood still: evaluated at the nudge
            Assert.NotEqual(0, downAt.ToUnixTimeMilliseconds() % 15_000);
        }

        await engine.StopAsync(CancellationToken.None);
    }

    /// <summary>
    /// A nudge held back by the early-evaluation gap, and the clock passes the regular evaluation by 1.5 ms
    /// meanwhile (a loaded machine, a late timer): the regular evaluation runs at once and the loop goes on.
    /// The wait left was computed as -1.5 ms, which <c>Task.Delay</c> took as -1 ms, "forever": the loop parked
    /// and no rule was evaluated again (alerts that never resolved, a new leader that never paged).
    /// </summary>
    [Fact]
    public async Task Loop_ClockPastTheRegularEvaluation_WhileAnEarlyOneWaits_EvaluatesAndGoesOn()
    {
        var store = new SeriesStore();
        var time = new FakeTimeProvider(T0);
        var sink = new RecordingSink();
        using var engine = new RuleEngine(store, time, sink, NullLogger<RuleEngine>.Instance);
        ApplyDownRule(engine);
        var success = new SeriesScope(store, "web", new Dictionary<string, string>()).Gauge("probe_success", "S.");
        success.Set(1);
        await engine.StartAsync(CancellationToken.None);
        Assert.True(SpinWait.SpinUntil(() => engine.WaitingFor == T0.AddSeconds(15), TimeSpan.FromSeconds(30)), "the loop is not waiting for 00:15");
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.True(SpinWait.SpinUntil(() => engine.WaitingFor == T0.AddSeconds(30), TimeSpan.FromSeconds(30)), "no regular evaluation at 00:15");
        time.Advance(TimeSpan.FromMilliseconds(7_250));
        success.Set(0);
        engine.Nudge("web");
        Assert.True(SpinWait.SpinUntil(() => { lock (sink.Seen) { return sink.Seen.Count > 0; } }, TimeSpan.FromSeconds(30)), "the first nudge did not evaluate");
        Assert.True(SpinWait.SpinUntil(() => engine.WaitingFor == T0.AddSeconds(30), TimeSpan.FromSeconds(30)), "the loop is not waiting for 00:30 again");
        long before = engine.Evaluations;

        // A second flip within the 100 ms gap: the early evaluation waits for 00:22.350, and the clock jumps to 00:30.0015.
        success.Set(1);
        engine.Nudge("web");
        time.Advance(TimeSpan.FromMilliseconds(7_751.5));
        Assert.True(SpinWait.SpinUntil(() => engine.WaitingFor == T0.AddSeconds(45), TimeSpan.FromSeconds(30)), $"the loop did not go on to 00:45 (evaluations {engine.Evaluations - before} since)");
        Assert.Equal(before + 1, engine.Evaluations);
        lock (sink.Seen)
        {
            Assert.Equal((AlertState.Firing, AlertState.Inactive, T0.AddSeconds(30)), (sink.Seen[^1].Transition.From, sink.Seen[^1].Transition.To, sink.Seen[^1].At));
        }

        await engine.StopAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData(true, 15)] // the check ran at 10 s: the evaluation at 15 s sees it up and resolves
    [InlineData(false, 90)] // no word from the scheduler: the timer alone, as an upper bound
    public void Restore_EndsOnEvidence_AsSoonAsTheFeedingCheckHasRun_TheTimerOnlyAnUpperBound(bool evidence, int resolvedAt)
    {
        var store = new SeriesStore();
        var sink = new RecordingSink();
        var engine = new RuleEngine(store, new FakeTimeProvider(T0), sink, NullLogger<RuleEngine>.Instance);
        var (groups, errors) = RuleFileLoader.Parse("""
            groups:
            - name: g
              rules:
              - alert: Down
                expr: probe_success == 0
                labels: { severity: P2 }
            """, "t.rules.yml");
        Assert.Empty(errors);
        engine.Apply(new MonitorOptions { SourceFile = "t", EvaluationInterval = TimeSpan.FromSeconds(5) }, groups);
        var asked = new List<(IReadOnlyCollection<string>? Checks, DateTimeOffset At)>();
        if (evidence)
        {
            engine.ChecksRanBefore = (checks, at) =>
            {
                asked.Add((checks, at));
                return at > T0.AddSeconds(10);
            };
        }

        Label[] labels = [new("alertname", "Down"), new("check", "web"), new("severity", "P2")];
        var orphans = engine.Restore([new RestoredAlert("k", "g", labels, AlertState.Firing, T0.AddMinutes(-5), T0.AddMinutes(-4), 0, new Dictionary<string, string>())], T0.AddSeconds(90));
        Assert.Empty(orphans);

        // The target is up again; the check's first run after the restart is what publishes that.
        var success = new SeriesScope(store, "web", new Dictionary<string, string>()).Gauge("probe_success", "S.");
        success.Set(1);
        for (int t = 5; t <= 95; t += 5)
        {
            engine.Tick(T0.AddSeconds(t));
        }

        Assert.Equal([(AlertState.Firing, AlertState.Inactive, resolvedAt)], sink.Seen.Select(s => (s.Transition.From, s.Transition.To, (int)(s.At - T0).TotalSeconds)));
        if (evidence)
        {
            Assert.All(asked, a => Assert.Equal(["web"], a.Checks!));
        }
    }

    [Theory]
    [InlineData("probe_success == 0", "check", "web", "web")] // the alert's own check label
    [InlineData("sum(up{check=\"a\"}) + sum(up{check=\"b\"}) < 2", null, null, "a,b")]
    [InlineData("sum(up{check=\"a\"}) + sum(up) < 2", null, null, null)] // one selector any check may answer
    [InlineData("sum(up{check=~\"a|b\"}) < 2", null, null, null)]
    [InlineData("vector(1)", null, null, null)]
    public void Restore_FeedingChecks(string expr, string? label, string? value, string? expected)
    {
        var parsed = Monitor.Rules.PromQL.Parser.Parse(expr);
        Label[] labels = label is null ? [new("alertname", "A")] : [new("alertname", "A"), new(label, value!)];
        var feeders = RuleEngine.Feeders(labels, parsed);
        Assert.Equal(expected, feeders is null ? null : string.Join(",", feeders.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Tick_SeriesRemoved_BecomesStaleAndResolves()
    {
        var store = new SeriesStore();
        var sink = new RecordingSink();
        var engine = new RuleEngine(store, new FakeTimeProvider(T0), sink, NullLogger<RuleEngine>.Instance);
        var (groups, _) = RuleFileLoader.Parse("groups: [ { name: g, rules: [ { alert: Up, expr: probe_success == 1 } ] } ]", "t.rules.yml");
        engine.Apply(new MonitorOptions { SourceFile = "t" }, groups);
        var scope = new SeriesScope(store, "gone", new Dictionary<string, string>());
        scope.Gauge("probe_success", "S.").Set(1);
        engine.Tick(T0);
        scope.Dispose(); // the check was removed by a reload
        engine.Tick(T0.AddSeconds(15));
        Assert.Equal([AlertState.Pending, AlertState.Firing, AlertState.Inactive], sink.Seen.Select(s => s.Transition.To));
        Assert.Equal(T0.AddSeconds(15), sink.Seen[^1].At);
    }

    [Fact]
    public void Tick_RateOverHistogramAndCounters_UsesHistory()
    {
        var store = new SeriesStore();
        var engine = new RuleEngine(store, new FakeTimeProvider(T0), new RecordingSink(), NullLogger<RuleEngine>.Instance);
        var (groups, errors) = RuleFileLoader.Parse("""
            groups:
            - name: g
              rules:
              - record: check:runs:rate1m
                expr: sum by (check) (rate(monitor_check_runs_total[1m]))
              - record: lag:p99
                expr: histogram_quantile(0.99, rate(monitor_scheduler_lag_seconds_bucket[1m]))
            """, "t.rules.yml");
        Assert.Empty(errors);
        engine.Apply(new MonitorOptions { SourceFile = "t" }, groups);
        var runs = store.Counter("monitor_check_runs_total", "R.", [new("check", "a"), new("result", "success")]);
        var lag = store.Histogram("monitor_scheduler_lag_seconds", "L.", SelfMetrics.LagBuckets, []);
        for (int i = 0; i <= 8; i++)
        {
            runs.Add(15); // one run a second
            for (int j = 0; j < 15; j++)
            {
                lag.Observe(0.002);
            }

            engine.Tick(T0.AddSeconds(15 * i));
        }

        long at = T0.AddSeconds(120).ToUnixTimeMilliseconds();
        var rate = Monitor.Rules.Evaluation.Evaluator.QueryVector(Monitor.Rules.PromQL.Parser.Parse("sum by (check) (rate(monitor_check_runs_total[1m]))"), at, engine.History, 15_000);
        Assert.Equal(1.0, Assert.Single(rate).V, 9);
        var p99 = Monitor.Rules.Evaluation.Evaluator.QueryVector(Monitor.Rules.PromQL.Parser.Parse("histogram_quantile(0.99, rate(monitor_scheduler_lag_seconds_bucket[1m]))"), at, engine.History, 15_000);
        Assert.InRange(Assert.Single(p99).V, 0.001, 0.0025);
    }

    [Fact]
    public void Tick_GroupInterval_IsHonoured()
    {
        var store = new SeriesStore();
        var sink = new RecordingSink();
        var engine = new RuleEngine(store, new FakeTimeProvider(T0), sink, NullLogger<RuleEngine>.Instance);
        var (groups, _) = RuleFileLoader.Parse("""
            groups:
            - { name: fast, rules: [ { alert: Fast, expr: 'up == 1', for: 30s } ] }
            - { name: slow, interval: 1m, rules: [ { alert: Slow, expr: 'up == 1', for: 30s } ] }
            """, "t.rules.yml");
        engine.Apply(new MonitorOptions { SourceFile = "t", EvaluationInterval = TimeSpan.FromSeconds(15) }, groups);
        store.Gauge("up", "U.", []).Set(1);
        for (int i = 0; i < 8; i++)
        {
            engine.Tick(T0.AddSeconds(15 * i));
        }

        // Fast is evaluated every 15 s and fires at 30 s; Slow only at 0 s and 60 s, so it fires at 60 s.
        Assert.Equal([T0, T0.AddSeconds(30)], sink.Seen.Where(s => s.Transition.Rule == "Fast").Select(s => s.At));
        Assert.Equal([T0, T0.AddSeconds(60)], sink.Seen.Where(s => s.Transition.Rule == "Slow").Select(s => s.At));
        var slow = engine.Alerts.Single(a => a.Group == "slow").Alert;
        Assert.Equal(AlertState.Firing, slow.State);
    }

    [Fact]
    public void Record_KeepsOnlyTheFamiliesRulesSelect_AndNothingWithoutRules()
    {
        var store = new SeriesStore();
        var engine = new RuleEngine(store, new FakeTimeProvider(T0), new RecordingSink(), NullLogger<RuleEngine>.Instance);
        store.Gauge("probe_success", "S.", [new("check", "a")]).Set(1);
        store.Gauge("unrelated", "U.", []).Set(1);
        store.Histogram("lag_seconds", "L.", [0.1, 1], []).Observe(0.5);

        engine.Apply(new MonitorOptions { SourceFile = "t" }, []);
        engine.Tick(T0);
        Assert.Equal(0, engine.History.SeriesCount);

        var (groups, _) = RuleFileLoader.Parse("groups: [ { name: g, rules: [ { record: r, expr: 'probe_success + on() group_left sum(rate(lag_seconds_bucket[1m]))' } ] } ]", "t.rules.yml");
        engine.Apply(new MonitorOptions { SourceFile = "t" }, groups);
        engine.Tick(T0.AddSeconds(15));
        Assert.Equal(1 + 3, engine.History.SeriesCount); // probe_success and the histogram's 3 buckets (not its sum and count)

        (groups, _) = RuleFileLoader.Parse("groups: [ { name: g, rules: [ { record: r, expr: '{check=\"a\"}' } ] } ]", "t.rules.yml");
        engine.Apply(new MonitorOptions { SourceFile = "t" }, groups);
        engine.Tick(T0.AddSeconds(30));
        // A selector without a metric name reads every family, but only the series its matchers match.
        Assert.Single(engine.History.Select([Monitor.Rules.PromQL.LabelMatcher.Of("__name__", Monitor.Rules.PromQL.MatcherType.Equal, "probe_success")]));
        Assert.Empty(engine.History.Select([Monitor.Rules.PromQL.LabelMatcher.Of("__name__", Monitor.Rules.PromQL.MatcherType.Equal, "unrelated")]));
    }

    [Fact]
    public void Apply_History_IsSizedPerSelector()
    {
        var engine = new RuleEngine(new SeriesStore(), new FakeTimeProvider(T0), new RecordingSink(), NullLogger<RuleEngine>.Instance);
        var (groups, _) = RuleFileLoader.Parse("groups: [ { name: g, rules: [ { record: r, expr: 'predict_linear(x[6h], 3600) + rate(y[5m] offset 1h) + max_over_time(z[1h:5m])' } ] } ]", "t.rules.yml");
        engine.Apply(new MonitorOptions { SourceFile = "t", EvaluationInterval = TimeSpan.FromSeconds(15) }, groups);
        var plan = engine.History.Plan;
        long Keep(string name) => plan.RetentionFor([new("__name__", name)]);
        Assert.Equal((long)(TimeSpan.FromHours(6) + TimeSpan.FromSeconds(15)).TotalMilliseconds, Keep("x"));
        Assert.Equal((long)(TimeSpan.FromMinutes(65) + TimeSpan.FromSeconds(15)).TotalMilliseconds, Keep("y"));
        // The subquery's range and step, plus the 5 m lookback of the selector inside.
        Assert.Equal((long)(TimeSpan.FromMinutes(70) + TimeSpan.FromSeconds(15)).TotalMilliseconds, Keep("z"));
        Assert.Equal(0, Keep("other"));
    }

    [Fact]
    public void Apply_History_KeepsWhatTemplateQueriesRead()
    {
        var engine = new RuleEngine(new SeriesStore(), new FakeTimeProvider(T0), new RecordingSink(), NullLogger<RuleEngine>.Instance);
        const string literal = "groups: [ { name: g, rules: [ { alert: A, expr: 'up == 0', annotations: { d: '{{ with query \"rate(errors_total[10m])\" }}{{ . | first | value }}{{ end }}' } } ] } ]";
        var (groups, _) = RuleFileLoader.Parse(literal, "t.rules.yml");
        engine.Apply(new MonitorOptions { SourceFile = "t", EvaluationInterval = TimeSpan.FromSeconds(15) }, groups);
        long Keep(string name) => engine.History.Plan.RetentionFor([new("__name__", name)]);
        Assert.Equal((long)(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(15)).TotalMilliseconds, Keep("errors_total"));
        Assert.Equal(0, Keep("other"));

        // A query the template builds may name any series: every series keeps an instant query's lookback.
        const string computed = "groups: [ { name: g, rules: [ { alert: A, expr: 'up == 0', annotations: { d: '{{ printf \"x{i=%q}\" $labels.i | query | len }}' } } ] } ]";
        (groups, _) = RuleFileLoader.Parse(computed, "t.rules.yml");
        engine.Apply(new MonitorOptions { SourceFile = "t", EvaluationInterval = TimeSpan.FromSeconds(15) }, groups);
        Assert.Equal((long)(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(15)).TotalMilliseconds, Keep("other"));
    }
}
