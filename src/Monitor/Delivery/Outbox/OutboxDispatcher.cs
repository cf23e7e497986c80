using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Delivery.Outbox;

/// <summary>
/// Sends what the outbox holds (docs/delivery.md). Each receiver has a queue ordered by severity, so a P1 is never
/// behind a P4; a rate (one message per <see cref="INotifier.MinInterval"/>) and a concurrency. Failures are
/// retried with exponential backoff and jitter, and a 429's <c>Retry-After</c> holds the whole receiver back;
/// other 4xx are not retried. A receiver that keeps failing hands the notification to its severity's fallback
/// too. An entry is marked delivered only after the provider's 2xx, so a crash in between re-sends it with the
/// same id.
/// </summary>
internal sealed class OutboxDispatcher : BackgroundService
{
    /// <summary>Attempts after which the severity's fallback receiver is also notified.</summary>
    public const int FallbackAfterAttempts = 4;

    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromDays(1);

    private readonly AlertPipeline _pipeline;
    private readonly NotifierFactory _factory;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboxDispatcher> _logger;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ReceiverQueue> _queues = new(StringComparer.Ordinal);
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly SeriesStore _series;
    private readonly Sample _queueLength;
    private Dictionary<string, INotifier> _notifiers = new(StringComparer.Ordinal);
    private MonitorOptions? _options;
    private volatile bool _reload = true;
    private int _inFlight;

    public OutboxDispatcher(AlertPipeline pipeline, NotifierFactory factory, SeriesStore series, TimeProvider timeProvider, ILogger<OutboxDispatcher> logger)
    {
        _pipeline = pipeline;
        _factory = factory;
        _series = series;
        _time = timeProvider;
        _logger = logger;
        _queueLength = series.Gauge("monitor_notification_queue_length", "Notifications in the outbox not yet delivered.", []);
        pipeline.Committed += Enqueue;
        pipeline.LeadershipAcquired += told =>
        {
            _reload = true;
            lock (_lock)
            {
                foreach (var (name, notifier) in _notifiers)
                {
                    if (notifier is IResendsFiringAlerts resends && told.TryGetValue(name, out var alerts))
                    {
                        resends.Seed(alerts);
                    }
                }
            }

            _signal.Release();
        };
    }

    public void Apply(MonitorOptions options)
    {
        var notifiers = _factory.Create(options);
        lock (_lock)
        {
            _notifiers = notifiers;
            _options = options;
            foreach (var name in notifiers.Keys)
            {
                Counter(name, "success");
                Counter(name, "retry");
                Counter(name, "failure");
            }
        }

        _signal.Release();
    }

    /// <summary>Notifications just committed to the outbox.</summary>
    public void Enqueue(IReadOnlyList<Notification> notifications)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            foreach (var n in notifications)
            {
                Add(new OutboxEntry(n, OutboxStatus.Pending, 0, n.CreatedAt, null, null), now);
            }
        }

        _signal.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_reload && _pipeline.IsLeader && _pipeline.Store is { } store)
            {
                try
                {
                    var pending = await store.PendingAsync(DateTimeOffset.MaxValue, int.MaxValue, stoppingToken);
                    var now = _time.GetUtcNow();
                    lock (_lock)
                    {
                        foreach (var entry in pending)
                        {
                            Add(entry, now);
                        }
                    }

                    _reload = false;
                }
                catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException)
                {
                    Log.StoreFailed(_logger, e.Message);
                }
            }

            var wait = _pipeline.IsLeader ? Dispatch(stoppingToken) : TimeSpan.FromSeconds(1);
            using var timeout = new CancellationTokenSource(wait, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
            try
            {
                await _signal.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // next due time reached
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Let sends in flight finish briefly; what does not finish is re-sent after restart.
        for (int i = 0; i < 50 && Volatile.Read(ref _inFlight) > 0; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, CancellationToken.None);
        }
    }

    /// <summary>Starts every send that is due and allowed; returns how long until the next could be.</summary>
    private TimeSpan Dispatch(CancellationToken stoppingToken)
    {
        var now = _time.GetUtcNow();
        var next = TimeSpan.FromSeconds(1);
        var orphans = new List<(OutboxEntry, string)>();
        lock (_lock)
        {
            int queued = 0;
            foreach (var (name, queue) in _queues)
            {
                queue.Promote(now);
                queued += queue.Count;
                if (!_notifiers.TryGetValue(name, out var notifier))
                {
                    while (queue.TryTake(out var orphan))
                    {
                        orphans.Add((orphan!, name));
                    }

                    continue;
                }

                while (queue.InFlight < notifier.Concurrency && queue.ReadyCount > 0)
                {
                    if (now < queue.NotBefore)
                    {
                        next = Min(next, queue.NotBefore - now);
                        break;
                    }

                    queue.TryTake(out var entry);
                    if (!queue.Claim(entry!))
                    {
                        continue; // an older message of the same group is still on its way: keep the order
                    }

                    queue.InFlight++;
                    queue.NotBefore = now + notifier.MinInterval;
                    Interlocked.Increment(ref _inFlight);
                    _ = SendAsync(entry!, notifier, name, stoppingToken);
                }

                if (queue.NextDelayed is { } due)
                {
                    next = Min(next, due - now);
                }
            }

            _queueLength.Set(queued);
        }

        foreach (var (orphan, name) in orphans)
        {
            _ = FinishAsync(orphan, new DeliveryResult(DeliveryOutcome.Rejected, $"receiver {name} is not configured"), name, stoppingToken);
        }

        return next < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : next;
    }

    private async Task SendAsync(OutboxEntry entry, INotifier notifier, string receiver, CancellationToken stoppingToken)
    {
        DeliveryResult result;
        try
        {
            using var timeout = new CancellationTokenSource(SendTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
            try
            {
                result = await notifier.SendAsync(entry.Notification, linked.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                result = new DeliveryResult(DeliveryOutcome.Retry, "timed out");
            }
            catch (Exception e) when (e is IOException or HttpRequestException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException or InvalidOperationException)
            {
                result = new DeliveryResult(DeliveryOutcome.Retry, e.Message);
            }
        }
        catch (OperationCanceledException)
        {
            Interlocked.Decrement(ref _inFlight);
            lock (_lock)
            {
                _queues[receiver].InFlight--;
            }

            return; // shutting down: still pending in the store (and the group stays claimed)
        }

        await FinishAsync(entry, result, receiver, stoppingToken);
        Interlocked.Decrement(ref _inFlight);
        lock (_lock)
        {
            _queues[receiver].InFlight--;
        }

        _signal.Release();
    }

    private async Task FinishAsync(OutboxEntry entry, DeliveryResult result, string receiver, CancellationToken stoppingToken)
    {
        var n = entry.Notification;
        var now = _time.GetUtcNow();
        int attempts = entry.Attempts + 1;
        var store = _pipeline.Store!;
        try
        {
            switch (result.Outcome)
            {
                case DeliveryOutcome.Delivered:
                    await store.MarkDeliveredAsync(n.Id, attempts, now, CancellationToken.None);
                    Counter(receiver, "success").Inc();
                    if (_logger.IsEnabled(LogLevel.Information))
                    {
                        string kind = n.Kind.ToString().ToLowerInvariant();
                        string severity = n.Severity.ToString();
                        Log.Delivered(_logger, receiver, kind, severity, n.Alerts.Count, result.Detail);
                    }

                    lock (_lock)
                    {
                        _known.Remove(n.Id);
                        _queues[receiver].Release(n);
                    }

                    break;
                case DeliveryOutcome.Retry when now - n.CreatedAt < GiveUpAfter:
                    var delay = Backoff(attempts);
                    if (result.RetryAfter is { } retryAfter)
                    {
                        delay = retryAfter > delay ? retryAfter : delay;
                        lock (_lock)
                        {
                            // Slack: sending on while limited can get the app disabled; hold the whole receiver.
                            var queue = _queues[receiver];
                            if (queue.NotBefore < now + retryAfter)
                            {
                                queue.NotBefore = now + retryAfter;
                            }
                        }
                    }

                    await store.MarkFailedAsync(n.Id, attempts, now + delay, result.Detail, CancellationToken.None);
                    Counter(receiver, "retry").Inc();
                    Log.Retrying(_logger, receiver, attempts, delay, result.Detail);
                    lock (_lock)
                    {
                        _queues[receiver].Delay(entry with { Attempts = attempts, NextAttemptAt = now + delay, LastError = result.Detail });
                    }

                    if (attempts == FallbackAfterAttempts)
                    {
                        await FallbackAsync(n, receiver, now, stoppingToken);
                    }

                    break;
                default:
                    await store.MarkFailedAsync(n.Id, attempts, null, result.Detail, CancellationToken.None);
                    Counter(receiver, "failure").Inc();
                    if (result.Outcome == DeliveryOutcome.Rejected)
                    {
                        Log.Rejected(_logger, receiver, result.Detail);
                    }
                    else
                    {
                        Log.GivenUp(_logger, receiver, attempts, result.Detail);
                    }

                    lock (_lock)
                    {
                        _known.Remove(n.Id);
                        _queues[receiver].Release(n);
                    }

                    if (attempts < FallbackAfterAttempts)
                    {
                        await FallbackAsync(n, receiver, now, stoppingToken);
                    }

                    break;
            }
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException)
        {
            // The send happened (or not) but the outbox could not be told; after a restart it is sent again.
            Log.StoreFailed(_logger, e.Message);
        }
    }

    /// <summary>Hands a notification that cannot get through to the severity's fallback receiver, once.</summary>
    private async Task FallbackAsync(Notification n, string receiver, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var options = _options;
        if (n.Reason is NotificationReason.Fallback or NotificationReason.Test || options is null
            || options.Severities[n.Severity].Fallback is not { } fallback || fallback == receiver)
        {
            return;
        }

        var copy = n with { Id = Notification.NewId(), Receiver = fallback, Reason = NotificationReason.Fallback, CreatedAt = now };
        var changes = new StoreChanges { At = now };
        changes.Notifications.Add(copy);
        await _pipeline.Store!.SaveAsync(changes, cancellationToken);
        string severity = n.Severity.ToString();
        Log.Fallback(_logger, receiver, severity, fallback);
        Enqueue([copy]);
    }

    /// <summary>1 s, 2 s, 4 s … up to 5 min, each ±20 %.</summary>
    public static TimeSpan Backoff(int attempts)
    {
        double seconds = Math.Min(Math.Pow(2, Math.Min(attempts - 1, 20)), MaxBackoff.TotalSeconds);
        return TimeSpan.FromSeconds(seconds * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private Sample Counter(string receiver, string result) =>
        _series.Counter("monitor_notifications_total", "Notification attempts by receiver and result (success, retry, failure).", [new("receiver", receiver), new("result", result)]);

    private void Add(OutboxEntry entry, DateTimeOffset now)
    {
        if (!_known.Add(entry.Notification.Id))
        {
            return;
        }

        if (!_queues.TryGetValue(entry.Notification.Receiver, out var queue))
        {
            queue = new ReceiverQueue();
            _queues[entry.Notification.Receiver] = queue;
        }

        if (entry.NextAttemptAt > now)
        {
            if (queue.Claim(entry)) // a retry keeps its group's later messages behind it
            {
                queue.Delay(entry);
            }
        }
        else
        {
            queue.Ready(entry);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// One receiver's entries: ready ones by severity then age, delayed ones by due time. Messages of one group
    /// go out in order: while one is in flight or waiting to retry, later ones of its group are held, so a
    /// resolve never overtakes the trigger it resolves.
    /// </summary>
    private sealed class ReceiverQueue
    {
        private readonly PriorityQueue<OutboxEntry, (int Severity, DateTimeOffset Created, string Id)> _ready = new();
        private readonly PriorityQueue<OutboxEntry, DateTimeOffset> _delayed = new();
        private readonly Dictionary<string, string> _claimed = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<OutboxEntry>> _held = new(StringComparer.Ordinal);

        /// <summary>Takes the group for this entry, or holds the entry until the group's earlier message is done.</summary>
        public bool Claim(OutboxEntry entry)
        {
            string group = entry.Notification.GroupKey;
            if (_claimed.TryGetValue(group, out string? owner) && owner != entry.Notification.Id)
            {
                if (!_held.TryGetValue(group, out var held))
                {
                    held = [];
                    _held[group] = held;
                }

                held.Add(entry);
                return false;
            }

            _claimed[group] = entry.Notification.Id;
            return true;
        }

        /// <summary>The entry is done (delivered or given up): its group's held messages may go.</summary>
        public void Release(Notification done)
        {
            if (_claimed.TryGetValue(done.GroupKey, out string? owner) && owner == done.Id)
            {
                _claimed.Remove(done.GroupKey);
                if (_held.Remove(done.GroupKey, out var held))
                {
                    held.ForEach(Ready);
                }
            }
        }

        public int InFlight { get; set; }

        public DateTimeOffset NotBefore { get; set; }

        public int Count => _ready.Count + _delayed.Count + InFlight + _held.Values.Sum(h => h.Count);

        public int ReadyCount => _ready.Count;

        public DateTimeOffset? NextDelayed => _delayed.TryPeek(out _, out var due) ? due : null;

        public void Ready(OutboxEntry entry) =>
            _ready.Enqueue(entry, ((int)entry.Notification.Severity, entry.Notification.CreatedAt, entry.Notification.Id));

        public void Delay(OutboxEntry entry) => _delayed.Enqueue(entry, entry.NextAttemptAt);

        public void Promote(DateTimeOffset now)
        {
            while (_delayed.TryPeek(out var entry, out var due) && due <= now)
            {
                _delayed.Dequeue();
                Ready(entry);
            }
        }

        public bool TryTake(out OutboxEntry? entry) => _ready.TryDequeue(out entry, out _);
    }
}
