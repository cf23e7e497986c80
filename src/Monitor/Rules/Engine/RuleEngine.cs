using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Rules.Alerting;
using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;
using Monitor.Rules.RuleFiles;

namespace Monitor.Rules.Engine;

/// <summary>
/// Evaluates the loaded rule groups every <c>evaluation_interval</c> over the live series (through
/// <see cref="LiveHistory"/>) and hands alert transitions to the <see cref="IAlertSink"/>. A reload keeps the
/// alert state of groups whose rules did not change.
/// </summary>
internal sealed class RuleEngine : BackgroundService
{
    private readonly SeriesStore _store;
    private readonly TimeProvider _time;
    private readonly IAlertSink _sink;
    private readonly ILogger<RuleEngine> _logger;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _applied = new(0);
    private readonly SemaphoreSlim _nudged = new(0);
    private long _lastTickTicks;
    private readonly MemoryStorage _output = new();
    private readonly LiveHistory _history;
    private readonly HistogramSeries _duration;
    private readonly Sample _historySeries;
    private readonly Sample _groupsLoaded;
    private readonly Sample _historySamples;
    private readonly Sample _historyBytes;
    private readonly Dictionary<string, Sample> _failures = new(StringComparer.Ordinal);
    private Dictionary<string, GroupEvaluator> _groups = new(StringComparer.Ordinal);
    private TimeSpan _interval = TimeSpan.FromSeconds(15);
    private TimeSpan _defaultInterval = TimeSpan.FromSeconds(15);
    private IReadOnlyDictionary<string, string> _externalLabels = new Dictionary<string, string>();
    private HistoryPlan _plan = HistoryPlan.Empty;

    public RuleEngine(SeriesStore store, TimeProvider timeProvider, IAlertSink sink, ILogger<RuleEngine> logger)
    {
        _store = store;
        _time = timeProvider;
        _sink = sink;
        _logger = logger;
        _history = new LiveHistory(store);
        _duration = store.Histogram("monitor_rule_evaluation_duration_seconds", "Time taken to evaluate all rule groups once.", SelfMetrics.CheckDurationBuckets, []);
        _historySeries = store.Gauge("monitor_rule_history_series", "Series held in the rule engine's sample history.", []);
        _groupsLoaded = store.Gauge("monitor_rule_groups", "Rule groups loaded; with none the engine does no evaluation work.", []);
        _historySamples = store.Gauge("monitor_rule_history_samples", "Samples held in the rule engine's sample history.", []);
        _historyBytes = store.Gauge("monitor_rule_history_bytes", "Bytes the rule engine's sample history takes in its chunks.", []);
    }

    public LiveHistory History => _history;

    /// <summary>True while the loop waits for rules without any timer (none loaded, none of their output left).</summary>
    internal bool Idle { get; private set; }

    /// <summary>The regular evaluation the loop waits for (or a nudge before it); null while it is not waiting.</summary>
    internal DateTimeOffset? WaitingFor { get; private set; }

    /// <summary>Evaluations done (each an observation of <c>monitor_rule_evaluation_duration_seconds</c>).</summary>
    internal long Evaluations => _duration.Count;

    /// <summary>Every alert the rules hold now (pending, firing, and resolved ones kept for 15 m).</summary>
    public IReadOnlyList<(string Group, ActiveAlert Alert)> Alerts
    {
        get
        {
            lock (_lock)
            {
                return [.. _groups.Values.SelectMany(g => g.AlertStates.Values.SelectMany(s => s.Alerts.Select(a => (g.Group.Name, a))))];
            }
        }
    }

    /// <summary>Reads and validates every rule file; the errors, if any, reject the whole configuration.</summary>
    public static RuleLoad Load(MonitorOptions options)
    {
        var result = new RuleLoad([], [], []);
        foreach (string file in options.ResolvedRuleFiles)
        {
            var loaded = RuleFileLoader.Load(file, options.Levels);
            result.Groups.AddRange(loaded.Groups);
            result.Errors.AddRange(loaded.Errors);
            result.Warnings.AddRange(loaded.Warnings);
        }

        return result;
    }

    public void Apply(MonitorOptions options, IReadOnlyList<RuleGroup> groups)
    {
        lock (_lock)
        {
            // The loop ticks at the greatest common divisor of every group's interval (at least 1 s), and a
            // group is evaluated at the ticks aligned to its own interval, as Prometheus aligns groups.
            long gcd = (long)options.EvaluationInterval.TotalMilliseconds;
            foreach (var group in groups)
            {
                gcd = Gcd(gcd, (long)(group.Interval ?? options.EvaluationInterval).TotalMilliseconds);
            }

            _interval = TimeSpan.FromMilliseconds(Math.Max(gcd, 1000));
            _defaultInterval = options.EvaluationInterval;
            _externalLabels = options.ExternalLabels;
            // What templates see as $externalURL: the configured external URL, else the listen address.
            string externalUrl = (options.Server.ExternalUrl ?? new Uri("http://" + options.Server.Listen + "/")).ToString().TrimEnd('/');
            var next = new Dictionary<string, GroupEvaluator>(StringComparer.Ordinal);
            foreach (var group in groups)
            {
                string key = GroupKey(group);
                next[key] = _groups.TryGetValue(key, out var kept) ? kept : new GroupEvaluator(group, new CompositeStorage(_history, _output), _output, _externalLabels, (long)options.EvaluationInterval.TotalMilliseconds, externalUrl);
            }

            _groups = next;
            _groupsLoaded.Set(next.Count);
            // What the rules and their templates' literal queries read; a template that builds its query keeps the
            // newest samples of every series (an instant query's lookback), as it may name any of them.
            var allRules = groups.SelectMany(g => g.Rules).ToList();
            _plan = HistoryPlan.For(
                allRules.SelectMany(r => r.TemplateQueries.Prepend(r.Expr)),
                (long)Math.Max(_interval.TotalMilliseconds, options.EvaluationInterval.TotalMilliseconds),
                keepLatestOfAll: allRules.Any(r => r.ComputedTemplateQuery));
            _history.Plan = _plan;
            int rules = groups.Sum(g => g.Rules.Count);
            var reach = TimeSpan.FromMilliseconds(_plan.LongestMs);
            Log.RulesLoaded(_logger, groups.Count, rules, reach);
        }

        _applied.Release(); // the loop may be waiting for rules to exist
    }

    /// <summary>
    /// Whether each named check (every configured check for null) has finished a run in this process before the
    /// given time; set by the host from the scheduler. Without it restored alerts wait for the timer alone.
    /// </summary>
    public Func<IReadOnlyCollection<string>?, DateTimeOffset, bool>? ChecksRanBefore { get; set; }

    /// <summary>
    /// Hands alerts kept in the durable store back to their rules after a restart (or a takeover by another
    /// replica). A restored alert whose series is missing stays as it was until every check that feeds it has
    /// finished a run in this process before an evaluation (then the missing series is evidence, and it resolves),
    /// or at the latest until <paramref name="graceUntil"/>, for checks that never answer. The checks that feed
    /// it: the alert's own <c>check</c> label, else the <c>check="…"</c> matchers of every selector of its rule,
    /// else all. Returns the keys of alerts no loaded rule owns.
    /// </summary>
    public IReadOnlyList<string> Restore(IEnumerable<RestoredAlert> alerts, DateTimeOffset graceUntil)
    {
        var orphans = new List<string>();
        lock (_lock)
        {
            foreach (var alert in alerts)
            {
                string? name = alert.Labels.FirstOrDefault(l => l.Name == "alertname").Value;
                var state = _groups.Values
                    .Where(g => g.Group.Name == alert.Group)
                    .SelectMany(g => g.AlertStates.Values)
                    .FirstOrDefault(s => s.Rule.Alert == name);
                if (state is null)
                {
                    orphans.Add(alert.Key);
                    continue;
                }

                var feeders = Feeders(alert.Labels, state.Rule.Expr);
                var ran = ChecksRanBefore;
                state.Restore(alert, graceUntil, ran is null ? null : at => ran(feeders, at));
            }
        }

        return orphans;
    }

    /// <summary>The checks whose results decide a restored alert; null when that may be any check.</summary>
    internal static IReadOnlyCollection<string>? Feeders(Label[] alertLabels, Expr expr)
    {
        string? own = alertLabels.FirstOrDefault(l => l.Name == "check").Value;
        if (own is { Length: > 0 })
        {
            return [own];
        }

        var named = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<Expr>();
        pending.Push(expr);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (node is VectorSelector selector)
            {
                var check = selector.Matchers.FirstOrDefault(m => m.Name == "check" && m.Type == MatcherType.Equal);
                if (check is null || check.Value.Length == 0)
                {
                    return null; // a selector any check's series may answer
                }

                named.Add(check.Value);
            }

            foreach (var child in Parser.Children(node))
            {
                pending.Push(child);
            }
        }

        return named.Count == 0 ? null : named;
    }

    /// <summary>Identity of a group for reloads: its file, name and the full text of its rules.</summary>
    private static string GroupKey(RuleGroup group) =>
        string.Join("\u0001", new[] { group.File, group.Name }.Concat(group.Rules.Select(r =>
            $"{r.Alert}|{r.Record}|{r.ExprText}|{r.For}|{r.KeepFiringFor}|{string.Join(",", r.Labels.Select(l => l.Key + "=" + l.Value))}|{string.Join(",", r.Annotations.Select(a => a.Key + "=" + a.Value))}")));

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>
    /// One evaluation: record the live values, evaluate every group whose turn it is (every group when
    /// <paramref name="early"/>: a check changed between two regular ticks) in order, publish transitions.
    /// </summary>
    public void Tick(DateTimeOffset now, bool early = false)
    {
        long start = _time.GetTimestamp();
        _lastTickAt = now;
        List<AlertTransition> transitions = [];
        lock (_lock)
        {
            _history.Record(now.ToUnixTimeMilliseconds());
            foreach (var group in _groups.Values)
            {
                long groupInterval = (long)(group.Group.Interval ?? _defaultInterval).TotalMilliseconds;
                if (!early && now.ToUnixTimeMilliseconds() % groupInterval >= (long)_interval.TotalMilliseconds)
                {
                    continue; // not this group's turn
                }

                transitions.AddRange(group.Evaluate(now));
                foreach (var (rule, error) in group.LastErrors)
                {
                    Log.RuleFailed(_logger, group.Group.Name, rule.Name, error);
                    if (!_failures.TryGetValue(group.Group.Name, out var failures))
                    {
                        failures = _failures[group.Group.Name] = _store.Counter("monitor_rule_evaluation_failures_total", "Rule evaluations that failed, by rule group.", [new("rule_group", group.Group.Name)]);
                    }

                    failures.Add(1);
                }
            }

            // Recorded series and ALERTS are history too: each kept as long as a selector reads it.
            _output.Trim(now.ToUnixTimeMilliseconds(), _plan.RetentionFor);
            _historySeries.Set(_history.SeriesCount);
            if (now.Second % 60 == 0 || _historySamples.Value == 0)
            {
                // Counting walks every chunk: once a minute is enough for a gauge.
                _historySamples.Set(_history.SampleCount);
                _historyBytes.Set(_history.SampleBytes);
            }
        }

        var took = _time.GetElapsedTime(start);
        Interlocked.Exchange(ref _lastTickTicks, took.Ticks);
        _duration.Observe(took.TotalSeconds);
        if (transitions.Count > 0)
        {
            _sink.Publish(transitions, now);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan interval;
            bool idle;
            lock (_lock)
            {
                interval = _interval;
                idle = _groups.Count == 0 && _output.SeriesCount == 0;
            }

            if (idle)
            {
                // No rules and nothing of theirs left to go stale: no evaluation work until a configuration brings some.
                Idle = true;
                try
                {
                    await _applied.WaitAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                finally
                {
                    Idle = false;
                }

                continue;
            }

            // Aligned to the interval, as Prometheus aligns group evaluations; a check that went down or came back
            // up wakes the loop at once (Nudge) for an early evaluation, so its rules see it within milliseconds.
            var now = _time.GetUtcNow();
            long ticks = interval.Ticks;
            var next = new DateTimeOffset(((now.UtcTicks / ticks) + 1) * ticks, TimeSpan.Zero);
            bool nudged;
            try
            {
                nudged = await WaitAsync(_nudged, next, stoppingToken);
                if (nudged)
                {
                    // At most one early evaluation per gap (twice the last evaluation's time, at least 100 ms): a
                    // storm of flips costs at most a third of a core; flips within the gap are taken together.
                    var earliest = _lastEarly + EarlyGap();
                    if (earliest >= next - MinimumEarlyLead)
                    {
                        // the regular evaluation comes first: it sees the change
                        nudged = false;
                        earliest = next;
                    }

                    await DelayUntilAsync(earliest, stoppingToken);

                    while (_nudged.Wait(0, CancellationToken.None))
                    {
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                var at = _time.GetUtcNow();
                if (!nudged)
                {
                    Tick(next);
                }
                else if (next - at > MinimumEarlyLead)
                {
                    _lastEarly = at;
                    // Samples are kept to the millisecond, and each evaluation is later than the one before.
                    var early = DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(at.ToUnixTimeMilliseconds(), _lastTickAt.ToUnixTimeMilliseconds() + 1));
                    Tick(early, early: true);
                }
                else
                {
                    // the regular evaluation is due within moments: wait for it, it sees the change itself
                    await DelayUntilAsync(next, stoppingToken);
                    Tick(next);
                }
            }
            catch (Exception e) when (InternalErrors.Unexpected(e, stoppingToken))
            {
                // One evaluation lost; the next interval evaluates again.
                InternalErrors.Record(_store, _logger, "rules", e);
            }
        }
    }

    /// <summary>An early evaluation closer than this to the regular one is left to the regular one.</summary>
    private static readonly TimeSpan MinimumEarlyLead = TimeSpan.FromMilliseconds(50);

    private DateTimeOffset _lastEarly = DateTimeOffset.MinValue;

    private DateTimeOffset _lastTickAt = DateTimeOffset.UnixEpoch;

    private TimeSpan EarlyGap()
    {
        var last = TimeSpan.FromTicks(Interlocked.Read(ref _lastTickTicks) * 2);
        return last > TimeSpan.FromMilliseconds(100) ? last : TimeSpan.FromMilliseconds(100);
    }

    /// <summary>
    /// A check's success changed (it went down or came back up): evaluate the rules now instead of at the next
    /// regular tick. Called on the check's thread; the evaluation runs on the loop.
    /// </summary>
    public void Nudge(string check)
    {
        _ = check;
        if (_nudged.CurrentCount == 0)
        {
            _nudged.Release();
        }
    }

    /// <summary>
    /// Waits until the engine's clock reaches <paramref name="until"/>; not at all when it already has. The wait is
    /// computed from one reading of the clock and never handed over negative: <c>Task.Delay</c> truncates to whole
    /// milliseconds and takes -1 ms for "forever", so a wait computed a millisecond or two late would park the loop
    /// for good (every later evaluation lost) and a later one would throw.
    /// </summary>
    private Task DelayUntilAsync(DateTimeOffset until, CancellationToken stoppingToken)
    {
        var wait = until - _time.GetUtcNow();
        return wait > TimeSpan.Zero ? Task.Delay(wait, _time, stoppingToken) : Task.CompletedTask;
    }

    /// <summary>Waits for <paramref name="signal"/> until <paramref name="until"/> on the engine's clock; true if signalled.</summary>
    private async Task<bool> WaitAsync(SemaphoreSlim signal, DateTimeOffset until, CancellationToken stoppingToken)
    {
        var wait = until - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            return false;
        }

        using var timeout = new CancellationTokenSource(wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
        WaitingFor = until;
        try
        {
            await signal.WaitAsync(linked.Token);
            return true;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            WaitingFor = null;
        }
    }

    public override void Dispose()
    {
        _applied.Dispose();
        _nudged.Dispose();
        base.Dispose();
    }
}
