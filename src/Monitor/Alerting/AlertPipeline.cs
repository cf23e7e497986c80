using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Rules.Alerting;
using Monitor.Rules.Engine;

namespace Monitor.Alerting;

/// <summary>
/// The loop around the alert lifecycle: it takes the rules' transitions, Alertmanager's webhook alerts and the API's
/// acks and silences as work, keeps the lease, and every second hands the book to <see cref="AlertLifecycle"/>;
/// every change that comes back is applied to the book and written, with the notifications it owes, in one store
/// transaction before anything is sent. Deciding is the lifecycle's, choosing the store the factory's and the role
/// the lease's: this loop does the I/O. All of it happens on one thread, so the book needs no locks and the store
/// always holds a state the loop has been in.
/// </summary>
internal sealed class AlertPipeline : BackgroundService, IAlertSink, IAlertingOutbox, IAlertService
{
    private readonly TimeProvider _time;
    private readonly ILogger<AlertPipeline> _logger;
    private readonly AlertMetrics _metrics;
    private readonly SeriesStore _series;
    private readonly IAlertStoreFactory _stores;
    private readonly IIdSource _ids;
    private readonly AlertingLease _lease;
    private readonly ConcurrentQueue<Func<DateTimeOffset, Action?>> _work = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly StoreChanges _unsaved = new();
    private readonly List<Action> _afterSave = [];
    private AlertBook _book = new();
    private AlertPolicy? _policy;
    private MonitorOptions? _options;
    private IAlertStore? _store;
    private volatile bool _leader;
    private DateTimeOffset? _nextDue;
    private volatile bool _storeHealthy;
    private volatile bool _storeOpen;
    private volatile string? _storeError;

    public AlertPipeline(SeriesStore series, TimeProvider timeProvider, ILogger<AlertPipeline> logger)
        : this(series, timeProvider, logger, new SqlAlertStoreFactory(), GuidIds.Instance, AlertingLease.ForThisProcess())
    {
    }

    public AlertPipeline(SeriesStore series, TimeProvider timeProvider, ILogger<AlertPipeline> logger, IAlertStoreFactory stores, IIdSource ids, AlertingLease lease)
    {
        _time = timeProvider;
        _logger = logger;
        _metrics = new AlertMetrics(series);
        _series = series;
        _stores = stores;
        _ids = ids;
        _lease = lease;
        _lease.Time = timeProvider;
        _leaderGauge = series.Gauge("monitor_alerting_leader", "1 while this replica holds the alerting lease (decides and sends), else 0.", []);
        _tokenGauge = series.Gauge("monitor_alerting_lease_fencing_token", "The fencing token of the alerting lease as last granted to this replica; every write it makes is conditional on it.", []);
        _leaderGauge.Set(0);
        _tokenGauge.Set(0);
    }

    private readonly Sample _leaderGauge;
    private readonly Sample _tokenGauge;

    /// <summary>Raised on the loop when this replica loses the lease: whatever it holds in memory to send is stale.</summary>
    public event Action? LeadershipLost;

    /// <summary>True while this replica holds the lease and, by its own monotonic clock, the lease has not run out.</summary>
    public bool MaySend => _leader && _lease.HoldsNow;

    /// <summary>"leader" or "follower", for /readyz.</summary>
    public string Role => _leader ? "leader" : "follower";

    /// <summary>Hands stored rule alerts back to the rules; returns the keys of those no rule owns.</summary>
    public Func<IEnumerable<RestoredAlert>, DateTimeOffset, IReadOnlyList<string>>? Restorer { get; set; }

    /// <summary>Raised on the loop after notifications were committed to the outbox.</summary>
    public event Action<IReadOnlyList<Notification>>? Committed;

    /// <summary>
    /// Raised on the loop when this replica (re)gains the lease: the outbox must be read again from the store. The
    /// argument lists, per receiver, the firing alerts it has been told about (Alertmanager receivers re-send those
    /// every minute).
    /// </summary>
    public event Action<IReadOnlyDictionary<string, List<AlertSnapshot>>>? LeadershipAcquired;

    public IAlertStore? Store => _store;

    public bool IsLeader => _leader;

    public AlertPolicy? Policy => _policy;

    /// <summary>Firing alerts that were silenced or inhibited at the last decision.</summary>
    public IReadOnlySet<string> Suppressed { get; private set; } = new HashSet<string>();

    /// <summary>Null when the store answered the last write; else why not (for /readyz).</summary>
    public string? StoreProblem => _store is null ? "alert store is not open yet" : _storeHealthy ? null : "alert store unreachable: " + _storeError;

    public string NewNotificationId() => _ids.NewId();

    /// <summary>Opens (creating or migrating) the configured store and loads the book.</summary>
    public async Task InitializeAsync(MonitorOptions options, CancellationToken cancellationToken)
    {
        Apply(options);
        _store = _stores.Open(options.Storage);
        try
        {
            await OpenStoreAsync(cancellationToken);
        }
        catch (Exception e) when (StoreFailure.Is(e) && _store.Kind == "postgres")
        {
            // A shared store that is down (or not up yet) is an outage, not a configuration error: the service
            // starts, /readyz says why it is not ready, and the loop tries again every second until it answers.
            _storeHealthy = false;
            _storeError = e.Message;
            Log.StoreUnreachableAtStart(_logger, e.Message);
        }
    }

    /// <summary>Brings the store's schema up to date, then takes (or not) the lease; once per process.</summary>
    private async Task OpenStoreAsync(CancellationToken cancellationToken)
    {
        await _store!.MigrateAsync(cancellationToken);
        _storeOpen = true;
        _storeHealthy = true;
        await CheckLeaseAsync(_time.GetUtcNow(), cancellationToken);
        if (!_leader)
        {
            _book = await _store.LoadAsync(cancellationToken);
        }
    }

    public void Apply(MonitorOptions options)
    {
        if (_options is not null && options.Storage != _options.Storage)
        {
            Log.StorageChanged(_logger);
        }

        _metrics.Levels(options.Levels);
        Volatile.Write(ref _policy, new AlertPolicy(options));
        Volatile.Write(ref _options, options);
    }

    public void Publish(IReadOnlyList<AlertTransition> transitions, DateTimeOffset at)
    {
        // The rule engine keeps mutating its alerts: take what is needed now, on its thread.
        var changes = transitions.Select(t => new RuleAlertChange(
            t.Group,
            t.Alert.Labels.ToDictionary(l => l.Name, l => l.Value, StringComparer.Ordinal),
            new Dictionary<string, string>(t.Alert.Annotations, StringComparer.Ordinal),
            t.To,
            t.Alert.ActiveAt,
            t.Alert.FiredAt,
            t.Alert.Value)).ToList();
        Enqueue(_ =>
        {
            var external = _options?.ExternalLabels ?? new Dictionary<string, string>();
            foreach (var change in changes)
            {
                Take(AlertLifecycle.Transition(_book, change, external, at, _options?.Levels));
            }

            return null;
        });
    }

    /// <summary>Runs <paramref name="action"/> on the loop; completes once its changes are in the store.</summary>
    private Task<T> RunAsync<T>(Func<AlertBook, DateTimeOffset, T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(now =>
        {
            if (!_leader)
            {
                done.TrySetException(new NotLeaderException());
                return null;
            }

            T result;
            try
            {
                result = action(_book, now);
            }
            catch (Exception e)
            {
                // Bad input (ArgumentException) or a fault of Monitor's own: the caller hears of it, the loop goes on.
                done.TrySetException(e);
                return null;
            }

            return () => done.TrySetResult(result);
        });
        return done.Task;
    }

    public Task<AckResult> AcknowledgeAsync(string fingerprint, string by, string comment, Func<DateTimeOffset, bool>? episode = null) => RunAsync((book, now) =>
    {
        Take(AlertLifecycle.Acknowledge(book, fingerprint, by, comment, now, out var result, episode));
        if (result == AckResult.Acknowledged)
        {
            Log.Acknowledged(_logger, fingerprint, by);
        }

        return result;
    });

    public Task<Silence> AddSilenceAsync(Silence silence) => RunAsync((book, _) =>
    {
        Take(AlertLifecycle.AddSilence(book, silence));
        return silence;
    });

    /// <summary>Expires a silence (it stays listed as expired for a day, as in Alertmanager).</summary>
    public Task<bool> ExpireSilenceAsync(string id) => RunAsync((book, now) =>
    {
        Take(AlertLifecycle.ExpireSilence(book, id, now, out bool found));
        return found;
    });

    /// <summary>
    /// Alerts from an Alertmanager webhook: a firing one joins the book (or is a duplicate of the one there), a
    /// resolved one resolves it. Returns how many changed something.
    /// </summary>
    public Task<int> IngestAsync(IReadOnlyList<IncomingAlert> alerts) => RunAsync((book, now) => Take(AlertLifecycle.Ingest(book, alerts, now, Volatile.Read(ref _options)?.Levels)).Count);

    public Task<List<AlertRecord>> ActiveAlertsAsync() => RunAsync((book, _) => Active(book));

    /// <summary>Active alerts with the escalation step of each one's group, read in one turn of the loop.</summary>
    public Task<List<(AlertRecord Alert, int EscalationStep)>> ActiveAlertsWithStepsAsync() => RunAsync((book, _) =>
    {
        var policy = Volatile.Read(ref _policy);
        return Active(book).Select(a => (a, a.Status == AlertStatus.Firing && policy is not null && book.Groups.TryGetValue(policy.GroupOf(a).Key, out var group) ? group.EscalationStep : 0)).ToList();
    });

    public Task<List<Silence>> SilencesAsync() => RunAsync((book, _) => book.Silences.Values.OrderBy(s => s.StartsAt).ToList());

    public async Task<IReadOnlyList<OutboxEntry>> DeliveryFailuresAsync(int limit, CancellationToken cancellationToken) =>
        _store is { } store ? await store.FailuresAsync(limit, cancellationToken) : [];

    private static List<AlertRecord> Active(AlertBook book) =>
        book.Alerts.Values.Where(a => a.Status != AlertStatus.Resolved).Select(a => a.Clone()).OrderBy(a => a.Severity).ThenBy(a => a.ActiveAt).ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // At least every second (acks' deadlines, escalations, the lease), and exactly when a group_wait or
            // group_interval the last decision saw runs out, so a group's notice is not up to a second late.
            var wait = TimeSpan.FromSeconds(1);
            if (_nextDue is { } due)
            {
                var left = due - _time.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    // Due now; taken once (a follower decides nothing, so nothing would move it on).
                    _nextDue = null;
                    wait = TimeSpan.FromMilliseconds(1);
                }
                else if (left < wait)
                {
                    wait = left;
                }
            }

            using (var timeout = new CancellationTokenSource(wait, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken))
            {
                try
                {
                    await _signal.WaitAsync(linked.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // a second passed without work: decide anyway, timers may be due
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            try
            {
                await TickAsync(_time.GetUtcNow(), stoppingToken);
            }
            catch (Exception e) when (InternalErrors.Unexpected(e, stoppingToken))
            {
                // The turn is lost; queued work not yet taken stays queued, the next turn decides again.
                InternalErrors.Record(_series, _logger, "alerting", e);
            }
        }
    }

    /// <summary>One turn of the loop: lease, queued work, decision, one transaction, then the notifications.</summary>
    public async Task TickAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_store is null || _policy is null)
        {
            return;
        }

        if (!_storeOpen)
        {
            try
            {
                await OpenStoreAsync(cancellationToken);
                Log.StoreReachable(_logger);
            }
            catch (Exception e) when (StoreFailure.Is(e))
            {
                _storeHealthy = false;
                _storeError = e.Message;
            }
        }
        else
        {
            await CheckLeaseAsync(now, cancellationToken);
        }

        while (_work.TryDequeue(out var work))
        {
            if (work(now) is { } after)
            {
                _afterSave.Add(after);
            }
        }

        if (!_leader)
        {
            _unsaved.Clear();
            _afterSave.Clear();
            return;
        }

        var (step, decision) = AlertLifecycle.Decide(_book, _policy, now, _ids);
        _nextDue = decision.NextDue;
        Take(step);
        foreach (var (severity, kind) in decision.SlaBreaches)
        {
            _metrics.Breached(severity, kind);
        }

        foreach (var (severity, reached) in decision.Escalations)
        {
            _metrics.Escalated(severity, reached);
        }

        _metrics.Count(_book, decision.Suppressed);
        Suppressed = decision.Suppressed;
        if (_unsaved.IsEmpty && _afterSave.Count == 0)
        {
            return;
        }

        _unsaved.At = now;
        try
        {
            await _store.SaveAsync(_unsaved, cancellationToken);
            _storeHealthy = true;
        }
        catch (LeaseFencedException e)
        {
            // Another replica holds the lease now: nothing of this was written, and none of it may be.
            Log.SaveFailed(_logger, e.Message);
            _lease.Invalidate();
            _leader = false;
            _leaderGauge.Set(0);
            _unsaved.Clear();
            _afterSave.Clear();
            Log.Leadership(_logger, "lost");
            LeadershipLost?.Invoke();
            return;
        }
        catch (Exception e) when (StoreFailure.Is(e))
        {
            _storeHealthy = false;
            _storeError = e.Message;
            Log.SaveFailed(_logger, e.Message);
            return; // kept in _unsaved; the callers wait for the next successful write
        }

        var committed = _unsaved.Notifications.ToList();
        _unsaved.Clear();
        foreach (var after in _afterSave)
        {
            after();
        }

        _afterSave.Clear();
        if (committed.Count > 0)
        {
            Committed?.Invoke(committed);
        }
    }

    /// <summary>Applies a lifecycle step to the book, keeps its changes for the next write, and counts and logs it.</summary>
    private LifecycleStep Take(LifecycleStep step)
    {
        _book.Apply(step.Changes);
        _unsaved.Merge(step.Changes);
        foreach (var (severity, after) in step.Acknowledged)
        {
            _metrics.Acknowledged(severity, after);
        }

        foreach (var (severity, after) in step.Resolved)
        {
            _metrics.Resolved(severity, after);
        }

        foreach (var alert in step.StateChanges)
        {
            LogChange(alert);
        }

        foreach (var (name, label, given) in step.UnknownSeverities)
        {
            Log.UnknownSeverity(_logger, name, label, given.ToString());
        }

        return step;
    }

    private void Enqueue(Func<DateTimeOffset, Action?> work)
    {
        _work.Enqueue(work);
        _signal.Release();
    }

    private async Task CheckLeaseAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            return;
        }

        LeaseChange change;
        try
        {
            change = await _lease.CheckAsync(_store, now, cancellationToken);
        }
        catch (Exception e) when (StoreFailure.Is(e))
        {
            Log.LeaseFailed(_logger, e.Message);
            _storeHealthy = false;
            _storeError = e.Message;
            return; // keep the current role until the store answers again
        }

        _tokenGauge.Set(_lease.FencingToken);
        if (change == LeaseChange.Reacquired)
        {
            // Another replica led in between: what this one held is stale; start over from the store.
            _leader = false;
            LeadershipLost?.Invoke();
            change = LeaseChange.Acquired;
        }

        if (change == LeaseChange.Acquired)
        {
            _book = await _store.LoadAsync(cancellationToken);
            Log.StoreLoaded(_logger, _store.Kind, _book.Alerts.Count, _book.Groups.Count, _book.Silences.Count);
            _leader = true;
            _leaderGauge.Set(1);
            RestoreRules(now);
            Log.Leadership(_logger, "holds");
            LeadershipAcquired?.Invoke(AlertLifecycle.NotifiedFiring(_book));
        }
        else if (change == LeaseChange.Lost)
        {
            _leader = false;
            _leaderGauge.Set(0);
            Log.Leadership(_logger, "lost");
            LeadershipLost?.Invoke();
        }
    }

    /// <summary>
    /// After a reload: rule groups that changed start with fresh alert state, so their stored alerts are handed
    /// back (as after a restart), and alerts of rules that no longer exist are resolved.
    /// </summary>
    public void RestoreAfterReload() => Enqueue(now =>
    {
        if (_leader)
        {
            RestoreRules(now);
        }

        return null;
    });

    /// <summary>Hands pending and firing rule alerts back to the rules; resolves those whose rule is gone.</summary>
    private void RestoreRules(DateTimeOffset now)
    {
        if (Restorer is null || _options is null)
        {
            return;
        }

        var orphans = Restorer(AlertLifecycle.RuleAlerts(_book), now + Grace(_options));
        var step = Take(AlertLifecycle.Orphaned(_book, orphans, now));
        if (step.Count > 0)
        {
            Log.OrphansResolved(_logger, step.Count);
        }
    }

    /// <summary>
    /// How long a restored alert waits for its series: every check has run (twice over, for a slow start) and
    /// the rules have evaluated.
    /// </summary>
    public static TimeSpan Grace(MonitorOptions options) =>
        (2 * options.Checks.Select(c => c.Interval + c.Timeout).DefaultIfEmpty(options.Defaults.Interval + options.Defaults.Timeout).Max())
        + options.EvaluationInterval + TimeSpan.FromSeconds(5);

    private void LogChange(AlertRecord alert)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            string name = alert.AlertName;
            string severity = alert.Severity.ToString();
            string status = alert.Status.ToString().ToLowerInvariant();
            Log.AlertChanged(_logger, name, alert.Fingerprint, severity, status);
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }
}

internal enum AckResult
{
    Acknowledged,
    AlreadyAcknowledged,
    NotFound,
    Resolved,

    /// <summary>An ack link of an earlier firing episode (incident) of the alert: nothing was acknowledged.</summary>
    EarlierIncident,
}

/// <summary>An alert of an Alertmanager webhook payload.</summary>
internal sealed record IncomingAlert(string Fingerprint, bool Resolved, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, string? GeneratorUrl);

/// <summary>This replica does not hold the alerting lease; another replica decides and sends.</summary>
internal sealed class NotLeaderException() : InvalidOperationException("this replica does not hold the alerting lease; send the request to the replica that does");
