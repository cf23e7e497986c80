using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Checks;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Scheduling;

/// <summary>
/// Runs every check on its interval. One dispatcher loop takes the due checks off a priority queue and
/// starts each run as its own task: a run waits for a concurrency slot, is cancelled at its timeout, and is
/// abandoned (reported as a timeout) if it ignores cancellation, so a hanging target never delays another.
/// A check whose previous run is still going is skipped, never run twice at once.
/// </summary>
internal sealed class CheckScheduler : BackgroundService, IDiscoveredChecks
{
    // A run that ignores its cancellation token is abandoned this long after its timeout.
    private static readonly TimeSpan HardTimeoutGrace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The dispatcher ticks at most once per quantum: checks that come due within it start together. At a thousand
    /// runs a second a wake-up per run cost more CPU than the probes (10k HTTP targets every 10 s: 0.41–0.46 cores
    /// woken per run, 0.24–0.25 in 10 ms batches, whose probes share the thread pool's and the socket engine's
    /// wake-ups); a run starts at most this much later, and a sparse schedule, whose next run is further off, not at all.
    /// </summary>
    internal static readonly TimeSpan DispatchQuantum = TimeSpan.FromMilliseconds(10);

    private readonly SeriesStore _store;
    private readonly ICheckFactory _factory;
    private readonly SelfMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<CheckScheduler> _logger;
    private readonly Lock _lock = new();
    private readonly PriorityQueue<ScheduledCheck, DateTimeOffset> _queue = new();
    private readonly Dictionary<string, IReadOnlyList<CheckOptions>> _discovered = new(StringComparer.Ordinal);
    private MonitorOptions? _options;
    private Dictionary<string, ScheduledCheck> _checks = new(StringComparer.Ordinal);
    private int _maxConcurrency = 2048;
    private SemaphoreSlim _concurrency = new(2048);
    // No spinning before blocking: the dispatcher sleeps a millisecond or more between ticks, spinning would only burn CPU.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);

    public CheckScheduler(SeriesStore store, ICheckFactory factory, SelfMetrics metrics, TimeProvider timeProvider, ILogger<CheckScheduler> logger)
    {
        _store = store;
        _factory = factory;
        _metrics = metrics;
        _time = timeProvider;
        _logger = logger;
    }

    /// <summary>True once a configuration has been applied.</summary>
    public bool Scheduled { get; private set; }

    public IReadOnlyList<ScheduledCheck> Checks
    {
        get
        {
            lock (_lock)
            {
                return [.. _checks.Values.OrderBy(c => c.Options.Name, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Raised (on the check's thread) with the check's name when a run's success differs from the one before.</summary>
    public event Action<string>? Flipped;

    /// <summary>
    /// Whether every named check (every scheduled check for null) has finished a run in this process before
    /// <paramref name="at"/>: its series were written by then. A name no check has (a check since removed) never
    /// runs, so it does not hold anything up.
    /// </summary>
    public bool RanBefore(IReadOnlyCollection<string>? names, DateTimeOffset at)
    {
        lock (_lock)
        {
            if (names is null)
            {
                return _checks.Values.All(c => Finished(c.Status, at));
            }

            foreach (string name in names)
            {
                if (_checks.TryGetValue(name, out var check) && !Finished(check.Status, at))
                {
                    return false;
                }
            }

            return true;
        }

        static bool Finished(CheckStatus status, DateTimeOffset at) =>
            status is { Runs: > 0, LastStart: { } start, LastDuration: { } took } && start + took < at;
    }

    /// <summary>
    /// Makes the schedule match <paramref name="options"/>. Unchanged checks keep their series and state; changed
    /// ones are rebuilt (keeping their series when kind and labels stay); removed ones lose their series.
    /// </summary>
    /// <summary>
    /// Checks found at run time (pods and services annotated <c>monitor.io/health-path</c>), by the check that
    /// found them; they run beside the configured ones until their source stops reporting them.
    /// </summary>
    public void SetDiscovered(string source, IReadOnlyList<CheckOptions> checks)
    {
        MonitorOptions? options;
        lock (_lock)
        {
            if (_discovered.TryGetValue(source, out var previous) && previous.Select(c => c.Fingerprint + c.Name).SequenceEqual(checks.Select(c => c.Fingerprint + c.Name)))
            {
                return; // nothing changed in the cluster
            }

            _discovered[source] = checks;
            options = _options;
        }

        if (options is not null)
        {
            Apply(options);
        }
    }

    public void Apply(MonitorOptions options)
    {
        var now = _time.GetUtcNow();
        List<CheckOptions> discovered;
        lock (_lock)
        {
            _options = options;
            // A source that is no longer configured takes its discoveries with it.
            foreach (string gone in _discovered.Keys.Where(k => !options.Checks.Any(c => c.Name == k)).ToList())
            {
                _discovered.Remove(gone);
            }

            discovered = [.. _discovered.Values.SelectMany(d => d)];
        }

        var wanted = options.Checks.Concat(discovered).Where(c => options.Shard?.Owns(c.Name) ?? true).ToList();
        var offsets = SchedulePlanner.Offsets(wanted.Select(c => (c.Name, c.Interval)));
        int added = 0, changed = 0, removed = 0;
        var toDispose = new List<IDisposable>();
        lock (_lock)
        {
            var next = new Dictionary<string, ScheduledCheck>(StringComparer.Ordinal);
            foreach (var options1 in wanted)
            {
                _checks.TryGetValue(options1.Name, out var existing);
                ScheduledCheck entry;
                if (existing is not null && existing.Options.Fingerprint == options1.Fingerprint && SameLabels(existing.Options, options1))
                {
                    entry = existing;
                }
                else
                {
                    SeriesScope scope;
                    if (existing is not null && existing.Options.Kind.Key == options1.Kind.Key && SameLabels(existing.Options, options1))
                    {
                        scope = existing.Scope;
                        toDispose.Add(existing.Check);
                    }
                    else
                    {
                        if (existing is not null)
                        {
                            toDispose.Add(existing.Check);
                            toDispose.Add(existing.Scope);
                        }

                        scope = new SeriesScope(_store, options1.Name, options1.Labels);
                    }

                    if (existing is not null)
                    {
                        existing.Removed = true;
                        changed++;
                    }
                    else
                    {
                        added++;
                    }

                    var check = _factory.Create(options1, scope, this);
                    entry = new ScheduledCheck(check, scope, _metrics.CheckDuration(options1.Kind.Key)) { LastPlanned = existing?.LastPlanned };
                }

                entry.Offset = offsets[options1.Name];
                // Never run a kept check again sooner than half an interval after its last run.
                var notBefore = entry.LastPlanned is { } last && last + (options1.Interval / 2) > now ? last + (options1.Interval / 2) : now;
                entry.NextDue = SchedulePlanner.NextDue(notBefore, options1.Interval, entry.Offset);
                next[options1.Name] = entry;
            }

            foreach (var (name, old) in _checks)
            {
                if (!next.ContainsKey(name))
                {
                    old.Removed = true;
                    toDispose.Add(old.Check);
                    toDispose.Add(old.Scope);
                    removed++;
                }
            }

            _checks = next;
            _queue.Clear();
            foreach (var entry in next.Values)
            {
                _queue.Enqueue(entry, entry.NextDue);
            }

            if (options.Defaults.MaxConcurrency != _maxConcurrency)
            {
                // Runs in flight release the semaphore they took; new runs use the new bound.
                _maxConcurrency = options.Defaults.MaxConcurrency;
                _concurrency = new SemaphoreSlim(_maxConcurrency);
            }

            Scheduled = true;
        }

        foreach (var disposable in toDispose)
        {
            disposable.Dispose();
        }

        Log.ScheduleUpdated(_logger, wanted.Count, added, changed, removed, options.Checks.Count + discovered.Count - wanted.Count);
        _wake.Set();
    }

    private static bool SameLabels(CheckOptions a, CheckOptions b) =>
        a.Labels.Count == b.Labels.Count && a.Labels.All(l => b.Labels.TryGetValue(l.Key, out var v) && v == l.Value);

    /// <summary>
    /// Takes every check due at <paramref name="now"/> off the queue with its planned start and re-queues it
    /// for its next slot. Slots missed entirely (the process was paused) are skipped, not caught up.
    /// </summary>
    internal List<(ScheduledCheck Check, DateTimeOffset Planned)> TakeDue(DateTimeOffset now, out DateTimeOffset? nextDue)
    {
        var due = new List<(ScheduledCheck, DateTimeOffset)>();
        lock (_lock)
        {
            while (_queue.TryPeek(out var entry, out var at) && at <= now)
            {
                _queue.Dequeue();
                due.Add((entry, at));
                entry.LastPlanned = at;
                var following = at + entry.Options.Interval;
                if (following <= now)
                {
                    following = SchedulePlanner.NextDue(now, entry.Options.Interval, entry.Offset);
                    if (following == now)
                    {
                        following += entry.Options.Interval;
                    }
                }

                entry.NextDue = following;
                _queue.Enqueue(entry, following);
            }

            nextDue = _queue.TryPeek(out _, out var next) ? next : null;
        }

        return due;
    }

    /// <summary>Starts the runs of the checks due now; returns when the next one is due.</summary>
    internal DateTimeOffset? Tick(DateTimeOffset now, CancellationToken stoppingToken)
    {
        var due = TakeDue(now, out var nextDue);
        foreach (var (entry, planned) in due)
        {
            if (!entry.TryBeginRun())
            {
                entry.RecordSkipped();
                continue;
            }

            _ = RunAsync(entry, planned, stoppingToken);
        }

        return nextDue;
    }

    /// <summary>One run: wait for a slot, run with the timeout, record the outcome. Never throws.</summary>
    internal async Task RunAsync(ScheduledCheck entry, DateTimeOffset planned, CancellationToken stoppingToken)
    {
        var semaphore = _concurrency;
        bool acquired = false;
        try
        {
            await semaphore.WaitAsync(stoppingToken);
            acquired = true;
            var started = _time.GetUtcNow();
            _metrics.SchedulerLag.Observe(Math.Max(0, (started - planned).TotalSeconds));
            long t0 = _time.GetTimestamp();
            var timeout = entry.Options.Timeout;
            CheckResult result;
            using (var timeoutSource = new CancellationTokenSource(timeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, stoppingToken))
            {
                try
                {
                    result = await entry.Check.RunAsync(linked.Token).WaitAsync(timeout + HardTimeoutGrace, _time, stoppingToken);
                }
                catch (System.Text.RegularExpressions.RegexMatchTimeoutException e)
                {
                    // A configured pattern that needs the backtracking engine (see SafeRegex) ran out of time on what
                    // the target returned: this run fails with that reason, whichever kind of check it is.
                    result = CheckResult.Fail(FailureReasons.RegexTimeout, $"regex {e.Pattern} ran longer than {(int)e.MatchTimeout.TotalMilliseconds} ms");
                }
                catch (TimeoutException)
                {
                    result = CheckResult.Fail(FailureReasons.Timeout, $"did not finish within {PromDuration.Format(timeout)}");
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Log.CheckThrew(_logger, entry.Options.Name, e);
                    result = CheckResult.Fail(FailureReasons.Internal, e.Message);
                }
            }

            if (entry.Removed)
            {
                return;
            }

            bool? previous = entry.Complete(result, started, _time.GetElapsedTime(t0));
            if (previous is not null && previous != result.Success)
            {
                // Up became down or down up: the rules that read it may change their outcome now. A first run has no
                // before; the regular evaluation takes it, as Prometheus's first one does.
                Flipped?.Invoke(entry.Options.Name);
            }

            if (!result.Success && previous != false)
            {
                Log.CheckFailed(_logger, entry.Options.Name, result.Reason, Redaction.Text(result.Error));
            }
            else if (result.Success && previous == false)
            {
                Log.CheckRecovered(_logger, entry.Options.Name);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Recording the outcome failed: the run is lost, the check runs again on its next slot.
            InternalErrors.Record(_store, _logger, "checks", e);
        }
        finally
        {
            if (acquired)
            {
                semaphore.Release();
            }

            entry.EndRun();
        }
    }

    /// <remarks>
    /// The dispatcher has a thread of its own: woken by a timer straight from the timer thread, it does not
    /// queue behind a thousand check continuations on the thread pool, which is what keeps its lag at a
    /// millisecond under load.
    /// </remarks>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => DispatchLoop(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>When the dispatcher ticks next after a tick at <paramref name="tickAt"/>: at the next run due, but not within the quantum.</summary>
    internal static DateTimeOffset WakeAt(DateTimeOffset tickAt, DateTimeOffset? nextDue)
    {
        var wakeAt = nextDue ?? tickAt + TimeSpan.FromHours(1);
        return wakeAt < tickAt + DispatchQuantum ? tickAt + DispatchQuantum : wakeAt;
    }

    private void DispatchLoop(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            _wake.Reset();
            var tickAt = _time.GetUtcNow();
            DateTimeOffset? next;
            try
            {
                next = Tick(tickAt, stoppingToken);
            }
            catch (Exception e) when (InternalErrors.Unexpected(e, stoppingToken))
            {
                // A fault of the dispatcher's own: counted, and the schedule is looked at again in a second.
                InternalErrors.Record(_store, _logger, "scheduler", e);
                next = _time.GetUtcNow() + TimeSpan.FromSeconds(1);
            }

            var wait = WakeAt(tickAt, next) - _time.GetUtcNow();
            if (wait <= TimeSpan.Zero)
            {
                continue;
            }

            // Waits have millisecond resolution; round up so a sub-millisecond wait never spins.
            wait = TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds));
            try
            {
                if (ReferenceEquals(_time, TimeProvider.System))
                {
                    // On the real clock the bounded wait is the timer: a timer besides it would wake the timer thread
                    // for every tick as well, only to set the event the wait is about to return from anyway.
                    _wake.Wait(wait, stoppingToken);
                    continue;
                }

                // One wait for every clock: the provider's timer wakes the loop when the provider's time comes (a fake
                // clock's Advance fires it), and the wait itself is bounded on the real clock, so on the system clock
                // the wake-up is on time even while timer callbacks queue behind a thousand probe continuations on the
                // thread pool. On a fake clock that bound only adds a spurious wake: the loop reads the provider's time
                // again and goes back to sleep.
                using var timer = _time.CreateTimer(static state => ((ManualResetEventSlim)state!).Set(), _wake, wait, Timeout.InfiniteTimeSpan);
                _wake.Wait(wait, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        lock (_lock)
        {
            foreach (var entry in _checks.Values)
            {
                entry.Check.Dispose();
            }
        }

        _concurrency.Dispose();
        _wake.Dispose();
        base.Dispose();
    }
}
