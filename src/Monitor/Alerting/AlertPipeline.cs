using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Rules.Alerting;
using Monitor.Rules.Engine;

namespace Monitor.Alerting;

/// <summary>
/// The alert lifecycle in the service: takes the rules' transitions, Alertmanager's webhook alerts and the
/// API's acks and silences, runs <see cref="DecisionCore"/> every second, and writes every change with the
/// notifications it owes in one store transaction before anything is sent. All of it happens on one loop, so
/// the book needs no locks and the store always holds a state the loop has been in.
/// With a PostgreSQL store shared by replicas, only the holder of the lease decides and sends; a replica that
/// takes the lease over loads the book and hands its rule alerts' timers to its own rules.
/// </summary>
internal sealed class AlertPipeline : BackgroundService, IAlertSink
{
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan LeaseRenew = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ExpiredSilenceRetention = TimeSpan.FromDays(1);

    private readonly TimeProvider _time;
    private readonly ILogger<AlertPipeline> _logger;
    private readonly AlertMetrics _metrics;
    private readonly ConcurrentQueue<Func<DateTimeOffset, Action?>> _work = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly StoreChanges _unsaved = new();
    private readonly List<Action> _afterSave = [];
    private readonly string _owner = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
    private AlertBook _book = new();
    private AlertPolicy? _policy;
    private MonitorOptions? _options;
    private SqlAlertStore? _store;
    private DateTimeOffset _leaseCheckedAt = DateTimeOffset.MinValue;
    private volatile bool _leader;
    private volatile bool _storeHealthy;
    private volatile string? _storeError;

    public AlertPipeline(SeriesStore series, TimeProvider timeProvider, ILogger<AlertPipeline> logger)
    {
        _time = timeProvider;
        _logger = logger;
        _metrics = new AlertMetrics(series);
    }

    /// <summary>Hands stored rule alerts back to the rules; returns the keys of those no rule owns.</summary>
    public Func<IEnumerable<RestoredAlert>, DateTimeOffset, IReadOnlyList<string>>? Restorer { get; set; }

    /// <summary>Raised on the loop after notifications were committed to the outbox.</summary>
    public event Action<IReadOnlyList<Notification>>? Committed;

    /// <summary>
    /// Raised on the loop when this replica (re)gains the lease: the outbox must be read again from the store.
    /// The argument lists, per receiver, the firing alerts it has been told about (Alertmanager receivers
    /// re-send those every minute).
    /// </summary>
    public event Action<IReadOnlyDictionary<string, List<AlertSnapshot>>>? LeadershipAcquired;

    public IAlertStore? Store => _store;

    public bool IsLeader => _leader;

    public AlertPolicy? Policy => _policy;

    /// <summary>Firing alerts that were silenced or inhibited at the last decision.</summary>
    public IReadOnlySet<string> Suppressed { get; private set; } = new HashSet<string>();

    /// <summary>Null when the store answered the last write; else why not (for /readyz).</summary>
    public string? StoreProblem => _store is null ? "alert store is not open yet" : _storeHealthy ? null : "alert store unreachable: " + _storeError;

    /// <summary>Opens (creating or migrating) the configured store and loads the book.</summary>
    public async Task InitializeAsync(MonitorOptions options, CancellationToken cancellationToken)
    {
        Apply(options);
        _store = options.Storage.Postgres is { } dsn ? SqlAlertStore.Postgres(dsn.Reveal()) : SqlAlertStore.Sqlite(options.Storage.Sqlite ?? "data/monitor.db");
        await _store.MigrateAsync(cancellationToken);
        _storeHealthy = true;
        var now = _time.GetUtcNow();
        await CheckLeaseAsync(now, cancellationToken);
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

        Volatile.Write(ref _policy, new AlertPolicy(options));
        Volatile.Write(ref _options, options);
    }

    public void Publish(IReadOnlyList<AlertTransition> transitions, DateTimeOffset at)
    {
        // The rule engine keeps mutating its alerts: take what is needed now, on its thread.
        var copies = transitions.Select(t => (
            t.Group,
            Labels: new SortedDictionary<string, string>(t.Alert.Labels.ToDictionary(l => l.Name, l => l.Value), StringComparer.Ordinal),
            Annotations: new Dictionary<string, string>(t.Alert.Annotations, StringComparer.Ordinal),
            t.To,
            t.Alert.ActiveAt,
            t.Alert.FiredAt,
            t.Alert.Value)).ToList();
        Enqueue(_ =>
        {
            foreach (var c in copies)
            {
                ApplyTransition(c.Group, c.Labels, c.Annotations, c.To, c.ActiveAt, c.FiredAt, c.Value, at);
            }

            return null;
        });
    }

    /// <summary>Runs <paramref name="action"/> on the loop; completes once its changes are in the store.</summary>
    public Task<T> RunAsync<T>(Func<AlertBook, DateTimeOffset, T> action)
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
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                done.TrySetException(e);
                return null;
            }

            return () => done.TrySetResult(result);
        });
        return done.Task;
    }

    public Task<AckResult> AcknowledgeAsync(string fingerprint, string by, string comment) => RunAsync((book, now) =>
    {
        if (!book.Alerts.TryGetValue(fingerprint, out var alert))
        {
            return AckResult.NotFound;
        }

        if (alert.Status == AlertStatus.Resolved)
        {
            return AckResult.Resolved;
        }

        if (alert.AckedAt is not null)
        {
            return AckResult.AlreadyAcknowledged;
        }

        alert.AckedAt = now;
        alert.AckedBy = by;
        alert.AckComment = comment;
        if (alert.FiredAt is { } fired)
        {
            _metrics.Acknowledged(alert.Severity, now - fired);
        }

        _unsaved.Alerts[fingerprint] = alert;
        Log.Acknowledged(_logger, fingerprint, by);
        return AckResult.Acknowledged;
    });

    public Task<Silence> AddSilenceAsync(Silence silence) => RunAsync((book, _) =>
    {
        book.Silences[silence.Id] = silence;
        _unsaved.Silences[silence.Id] = silence;
        return silence;
    });

    /// <summary>Expires a silence (it stays listed as expired for a day, as in Alertmanager).</summary>
    public Task<bool> ExpireSilenceAsync(string id) => RunAsync((book, now) =>
    {
        if (!book.Silences.TryGetValue(id, out var silence))
        {
            return false;
        }

        if (silence.EndsAt > now)
        {
            var expired = silence with { EndsAt = now, StartsAt = silence.StartsAt > now ? now : silence.StartsAt };
            book.Silences[id] = expired;
            _unsaved.Silences[id] = expired;
        }

        return true;
    });

    /// <summary>
    /// Alerts from an Alertmanager webhook: a firing one joins the book (or is a duplicate of the one there), a
    /// resolved one resolves it. Returns how many changed something.
    /// </summary>
    public Task<int> IngestAsync(IReadOnlyList<IncomingAlert> alerts) => RunAsync((book, now) =>
    {
        int changed = 0;
        foreach (var incoming in alerts)
        {
            book.Alerts.TryGetValue(incoming.Fingerprint, out var existing);
            if (incoming.Resolved)
            {
                if (existing is null || existing.Status == AlertStatus.Resolved)
                {
                    continue;
                }

                Resolve(existing, incoming.EndsAt is { } end && end <= now ? end : now);
                changed++;
                continue;
            }

            if (existing is not null && existing.Status != AlertStatus.Resolved)
            {
                if (!existing.Annotations.OrderBy(a => a.Key).SequenceEqual(incoming.Annotations.OrderBy(a => a.Key)))
                {
                    existing.Annotations = new Dictionary<string, string>(incoming.Annotations, StringComparer.Ordinal);
                    _unsaved.Alerts[existing.Key] = existing;
                }

                continue; // the same firing alert again: Alertmanager re-sends within its group_interval
            }

            if (existing is not null)
            {
                ArchiveIfOwed(existing);
            }

            var startsAt = incoming.StartsAt is { } s && s <= now ? s : now;
            var alert = new AlertRecord
            {
                Fingerprint = incoming.Fingerprint,
                Origin = AlertOrigin.Alertmanager,
                Labels = new SortedDictionary<string, string>(incoming.Labels.ToDictionary(), StringComparer.Ordinal),
                Annotations = new Dictionary<string, string>(incoming.Annotations, StringComparer.Ordinal),
                Severity = AlertRecord.SeverityOf(incoming.Labels),
                Status = AlertStatus.Firing,
                ActiveAt = startsAt,
                FiredAt = startsAt,
                GeneratorUrl = incoming.GeneratorUrl,
            };
            book.Alerts[alert.Fingerprint] = alert;
            _unsaved.Alerts[alert.Fingerprint] = alert;
            LogChange(alert);
            changed++;
        }

        return changed;
    });

    public Task<List<AlertRecord>> ActiveAlertsAsync() => RunAsync((book, _) => Active(book));

    /// <summary>Active alerts with the escalation step of each one's group, read in one turn of the loop.</summary>
    public Task<List<(AlertRecord Alert, int EscalationStep)>> ActiveAlertsWithStepsAsync() => RunAsync((book, _) =>
    {
        var policy = Volatile.Read(ref _policy);
        return Active(book).Select(a => (a, a.Status == AlertStatus.Firing && policy is not null && book.Groups.TryGetValue(policy.GroupOf(a).Key, out var group) ? group.EscalationStep : 0)).ToList();
    });

    public Task<List<Silence>> SilencesAsync() => RunAsync((book, _) => book.Silences.Values.OrderBy(s => s.StartsAt).ToList());

    private static List<AlertRecord> Active(AlertBook book) =>
        book.Alerts.Values.Where(a => a.Status != AlertStatus.Resolved).Select(a => a.Clone()).OrderBy(a => a.Severity).ThenBy(a => a.ActiveAt).ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1), _time))
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

            await TickAsync(_time.GetUtcNow(), stoppingToken);
        }
    }

    /// <summary>One turn of the loop: lease, queued work, decision, one transaction, then the notifications.</summary>
    public async Task TickAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_store is null || _policy is null)
        {
            return;
        }

        await CheckLeaseAsync(now, cancellationToken);
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

        var decision = DecisionCore.Decide(_book, _policy, now);
        foreach (string fp in decision.ChangedAlerts)
        {
            _unsaved.Alerts[fp] = _book.Alerts[fp];
        }

        foreach (string fp in decision.RemovedAlerts)
        {
            _unsaved.Alerts[fp] = null;
        }

        foreach (string key in decision.ChangedGroups)
        {
            _unsaved.Groups[key] = _book.Groups[key];
        }

        foreach (string key in decision.RemovedGroups)
        {
            _unsaved.Groups[key] = null;
        }

        _unsaved.Notifications.AddRange(decision.Notifications);
        foreach (var (severity, kind) in decision.SlaBreaches)
        {
            _metrics.Breached(severity, kind);
        }

        foreach (var silence in _book.Silences.Values.Where(s => now - s.EndsAt > ExpiredSilenceRetention).ToList())
        {
            _book.Silences.Remove(silence.Id);
            _unsaved.Silences[silence.Id] = null;
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
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException or InvalidOperationException)
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

    private void Enqueue(Func<DateTimeOffset, Action?> work)
    {
        _work.Enqueue(work);
        _signal.Release();
    }

    private async Task CheckLeaseAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        bool wasLeader = _leader;
        if (_store is null || (_leader && now - _leaseCheckedAt < LeaseRenew && now >= _leaseCheckedAt))
        {
            return;
        }

        if (_store.Kind == "sqlite" && _leader)
        {
            return; // an embedded store has one writer: this process
        }

        bool leader;
        try
        {
            leader = _store.Kind == "sqlite" || await _store.TryAcquireLeaseAsync("alerting", _owner, now, now + LeaseTtl, cancellationToken);
            _leaseCheckedAt = now;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException)
        {
            Log.LeaseFailed(_logger, e.Message);
            _storeHealthy = false;
            _storeError = e.Message;
            return; // keep the current role until the store answers again
        }

        if (leader && !wasLeader)
        {
            _book = await _store.LoadAsync(cancellationToken);
            Log.StoreLoaded(_logger, _store.Kind, _book.Alerts.Count, _book.Groups.Count, _book.Silences.Count);
            _leader = true;
            RestoreRules(now);
            Log.Leadership(_logger, "holds");
            LeadershipAcquired?.Invoke(NotifiedFiring());
        }
        else if (!leader && wasLeader)
        {
            _leader = false;
            Log.Leadership(_logger, "lost");
        }
    }

    /// <summary>Per receiver, the firing alerts it has been told about.</summary>
    private Dictionary<string, List<AlertSnapshot>> NotifiedFiring()
    {
        var told = new Dictionary<string, List<AlertSnapshot>>(StringComparer.Ordinal);
        foreach (var (receiver, progress) in _book.Groups.Values.SelectMany(g => g.Notified))
        {
            if (!told.TryGetValue(receiver, out var list))
            {
                list = [];
                told[receiver] = list;
            }

            list.AddRange(progress.Firing.Select(key => _book.Alerts.GetValueOrDefault(key)).OfType<AlertRecord>().Where(a => a.Status == AlertStatus.Firing).Select(AlertSnapshot.Of));
        }

        return told;
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

        var restored = _book.Alerts.Values
            .Where(a => a.Origin == AlertOrigin.Rule && a.Status != AlertStatus.Resolved)
            .Select(a => new RestoredAlert(
                a.Fingerprint,
                a.Group ?? "",
                [.. (a.RuleLabels ?? a.Labels).Select(l => new Label(l.Key, l.Value))],
                a.Status == AlertStatus.Firing ? AlertState.Firing : AlertState.Pending,
                a.ActiveAt,
                a.FiredAt,
                a.Value,
                a.Annotations))
            .ToList();
        var orphans = Restorer(restored, now + Grace(_options));
        foreach (string fp in orphans)
        {
            var alert = _book.Alerts[fp];
            if (alert.Status == AlertStatus.Pending)
            {
                _book.Alerts.Remove(fp);
                _unsaved.Alerts[fp] = null;
            }
            else
            {
                Resolve(alert, now);
            }
        }

        if (orphans.Count > 0)
        {
            Log.OrphansResolved(_logger, orphans.Count);
        }
    }

    /// <summary>
    /// How long a restored alert waits for its series: every check has run (twice over, for a slow start) and
    /// the rules have evaluated.
    /// </summary>
    public static TimeSpan Grace(MonitorOptions options) =>
        (2 * options.Checks.Select(c => c.Interval + c.Timeout).DefaultIfEmpty(options.Defaults.Interval + options.Defaults.Timeout).Max())
        + options.EvaluationInterval + TimeSpan.FromSeconds(5);

    private void ApplyTransition(string group, SortedDictionary<string, string> ruleLabels, Dictionary<string, string> annotations, AlertState to, DateTimeOffset activeAt, DateTimeOffset? firedAt, double value, DateTimeOffset at)
    {
        var labels = new SortedDictionary<string, string>(ruleLabels, StringComparer.Ordinal);
        foreach (var (name, external) in _options?.ExternalLabels ?? new Dictionary<string, string>())
        {
            labels.TryAdd(name, external);
        }

        string fp = Fingerprint.Of(labels);
        _book.Alerts.TryGetValue(fp, out var alert);
        if (to == AlertState.Inactive)
        {
            if (alert is null || alert.Status == AlertStatus.Resolved)
            {
                return;
            }

            if (alert.Status == AlertStatus.Pending)
            {
                _book.Alerts.Remove(fp);
                _unsaved.Alerts[fp] = null;
                return;
            }

            Resolve(alert, at);
            return;
        }

        if (alert is null || alert.Status == AlertStatus.Resolved)
        {
            if (alert is not null)
            {
                ArchiveIfOwed(alert);
            }

            alert = new AlertRecord
            {
                Fingerprint = fp,
                Origin = AlertOrigin.Rule,
                Group = group,
                Labels = labels,
                RuleLabels = ruleLabels,
                Severity = AlertRecord.SeverityOf(labels),
                Status = AlertStatus.Pending,
                ActiveAt = activeAt,
            };
            _book.Alerts[fp] = alert;
        }

        alert.Annotations = annotations;
        alert.Value = value;
        if (to == AlertState.Firing && alert.Status != AlertStatus.Firing)
        {
            alert.Status = AlertStatus.Firing;
            alert.FiredAt = firedAt ?? at;
        }

        _unsaved.Alerts[fp] = alert;
        LogChange(alert);
    }

    private void Resolve(AlertRecord alert, DateTimeOffset at)
    {
        alert.Status = AlertStatus.Resolved;
        alert.ResolvedAt = at;
        if (alert.FiredAt is { } fired)
        {
            _metrics.Resolved(alert.Severity, at - fired);
        }

        _unsaved.Alerts[alert.Key] = alert;
        LogChange(alert);
    }

    /// <summary>
    /// A resolved alert fires again: if some receiver has not yet been told of the resolution, the resolved
    /// episode is kept under its own key so that resolution is still sent, and the new episode takes the
    /// fingerprint.
    /// </summary>
    private void ArchiveIfOwed(AlertRecord resolved)
    {
        var owing = _book.Groups.Values.Where(g => g.Notified.Values.Any(p => p.Firing.Contains(resolved.Key))).ToList();
        if (owing.Count == 0)
        {
            return;
        }

        string fingerprint = resolved.Key;
        _book.Alerts.Remove(fingerprint);
        resolved.Key = $"{resolved.Fingerprint}@{(resolved.FiredAt ?? resolved.ActiveAt).ToUnixTimeMilliseconds()}";
        _book.Alerts[resolved.Key] = resolved;
        _unsaved.Alerts[resolved.Key] = resolved;
        foreach (var group in owing)
        {
            foreach (var progress in group.Notified.Values)
            {
                if (progress.Firing.Remove(fingerprint))
                {
                    progress.Firing.Add(resolved.Key);
                }
            }

            _unsaved.Groups[group.Key] = group;
        }
    }

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
}

/// <summary>An alert of an Alertmanager webhook payload.</summary>
internal sealed record IncomingAlert(string Fingerprint, bool Resolved, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, string? GeneratorUrl);

/// <summary>This replica does not hold the alerting lease; another replica decides and sends.</summary>
internal sealed class NotLeaderException() : InvalidOperationException("this replica does not hold the alerting lease; send the request to the replica that does");
