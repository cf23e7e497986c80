using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Delivery.Outbox;

/// <summary>
/// Sends what the outbox holds (docs/delivery.md) and records how each attempt ended. What is due, in which order
/// and at what rate is <see cref="OutboxQueue"/>'s to say, what an answer means is <see cref="OutboxPolicy"/>'s;
/// this loop only sends, records in the store and counts. An entry is marked delivered only after the provider's
/// 2xx, so a crash in between re-sends it with the same id.
/// </summary>
internal sealed class OutboxDispatcher : BackgroundService
{
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(30);

    private readonly IAlertingOutbox _alerting;
    private readonly NotifierFactory _factory;
    private readonly OutboxPolicy _policy;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboxDispatcher> _logger;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Lock _lock = new();
    private readonly OutboxQueue _queue = new();
    private readonly SeriesStore _series;
    private readonly Sample _queueLength;
    private Dictionary<string, INotifier> _notifiers = new(StringComparer.Ordinal);
    private MonitorOptions? _options;
    private volatile bool _reload = true;
    private int _inFlight;

    public OutboxDispatcher(IAlertingOutbox alerting, NotifierFactory factory, OutboxPolicy policy, SeriesStore series, TimeProvider timeProvider, ILogger<OutboxDispatcher> logger)
    {
        _alerting = alerting;
        _factory = factory;
        _policy = policy;
        _series = series;
        _time = timeProvider;
        _logger = logger;
        _queueLength = series.Gauge("monitor_notification_queue_length", "Notifications in the outbox not yet delivered.", []);
        alerting.Committed += Enqueue;
        alerting.LeadershipLost += () =>
        {
            // Another replica sends now; what this one held may be delivered by it long before this one leads again.
            lock (_lock)
            {
                _queue.Clear();
                _queueLength.Set(0);
            }
        };
        alerting.LeadershipAcquired += told =>
        {
            // What a former leadership held was dropped when it was lost (a reacquisition under a new token is
            // told as a loss first); clearing here as well could forget a send already in flight and send it twice.
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
                _queue.Add(new OutboxEntry(n, OutboxStatus.Pending, 0, n.CreatedAt, null, null), now);
            }
        }

        _signal.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_reload && _alerting.IsLeader && _alerting.Store is { } store)
            {
                try
                {
                    var pending = await store.PendingAsync(DateTimeOffset.MaxValue, int.MaxValue, stoppingToken);
                    var now = _time.GetUtcNow();
                    lock (_lock)
                    {
                        foreach (var entry in pending)
                        {
                            _queue.Add(entry, now);
                        }
                    }

                    _reload = false;
                }
                catch (Exception e) when (StoreFailure.Is(e))
                {
                    Log.StoreFailed(_logger, e.Message);
                }
            }

            TimeSpan wait;
            try
            {
                wait = _alerting.MaySend ? Dispatch(stoppingToken) : TimeSpan.FromSeconds(1);
            }
            catch (Exception e) when (InternalErrors.Unexpected(e, stoppingToken))
            {
                // What was not started stays queued; the dispatcher looks again in a second.
                InternalErrors.Record(_series, _logger, "delivery", e);
                wait = TimeSpan.FromSeconds(1);
            }

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
        List<(OutboxEntry Entry, INotifier Notifier)> sends;
        List<OutboxEntry> orphans;
        TimeSpan next;
        lock (_lock)
        {
            var notifiers = _notifiers;
            (var due, orphans) = _queue.TakeDue(now, name => notifiers.TryGetValue(name, out var n) ? new ReceiverLimits(n.MinInterval, n.Concurrency, n.Budget) : null, out next);
            sends = [.. due.Select(e => (e, notifiers[e.Notification.Receiver]))];
            _queueLength.Set(_queue.Count);
        }

        foreach (var (entry, notifier) in sends)
        {
            Interlocked.Increment(ref _inFlight);
            _ = SendAsync(entry, notifier, stoppingToken);
        }

        foreach (var orphan in orphans)
        {
            _ = RecordAsync(orphan, new DeliveryResult(DeliveryOutcome.Rejected, $"receiver {orphan.Notification.Receiver} is not configured"), taken: false, stoppingToken);
        }

        return next;
    }

    private async Task SendAsync(OutboxEntry entry, INotifier notifier, CancellationToken stoppingToken)
    {
        DeliveryResult result;
        try
        {
            using var timeout = new CancellationTokenSource(SendTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
            if (!_alerting.MaySend)
            {
                // The lease ran out (or moved on) since the entry was taken: not sent; the store still has it pending.
                lock (_lock)
                {
                    _queue.Abandon(entry);
                }

                Interlocked.Decrement(ref _inFlight);
                return;
            }

            result = await notifier.SendAsync(entry.Notification, linked.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            result = new DeliveryResult(DeliveryOutcome.Retry, "timed out");
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                _queue.Abandon(entry);
            }

            Interlocked.Decrement(ref _inFlight);
            return; // shutting down: still pending in the store (and the group stays claimed)
        }
        catch (Exception e) when (e is IOException or HttpRequestException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
        {
            result = new DeliveryResult(DeliveryOutcome.Retry, e.Message);
        }
        catch (Exception e)
        {
            // A fault of Monitor's own, not the provider's: never retried as if the network had failed. It is
            // logged with its stack, and the message goes to the fallback receiver like a refused one.
            Log.NotifierFault(_logger, entry.Notification.Receiver, e);
            result = new DeliveryResult(DeliveryOutcome.Rejected, $"internal error in Monitor: {e.GetType().Name}: {e.Message}");
        }

        try
        {
            await RecordAsync(entry, result, taken: true, stoppingToken);
        }
        catch (Exception e) when (InternalErrors.Unexpected(e, stoppingToken))
        {
            // The entry stays pending in the store; it is read again when the outbox is reloaded.
            InternalErrors.Record(_series, _logger, "delivery", e);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _signal.Release();
        }
    }

    /// <summary>Records how an attempt ended: the store first, then the queue, the counters and the logs.</summary>
    private async Task RecordAsync(OutboxEntry entry, DeliveryResult result, bool taken, CancellationToken stoppingToken)
    {
        var n = entry.Notification;
        string receiver = n.Receiver;
        var now = _time.GetUtcNow();
        var verdict = _policy.Judge(entry, result, now);
        try
        {
            if (verdict.Kind == VerdictKind.Delivered)
            {
                await _alerting.Store!.MarkDeliveredAsync(n.Id, verdict.Attempts, now, CancellationToken.None);
            }
            else
            {
                await _alerting.Store!.MarkFailedAsync(n.Id, verdict.Attempts, verdict.NextAttemptAt, result.Detail, CancellationToken.None);
            }
        }
        catch (Exception e) when (StoreFailure.Is(e))
        {
            // The send happened (or not) but the outbox could not be told; after a restart it is sent again.
            Log.StoreFailed(_logger, e.Message);
            lock (_lock)
            {
                if (taken)
                {
                    _queue.Abandon(entry);
                }
            }

            return;
        }

        lock (_lock)
        {
            if (taken)
            {
                _queue.Complete(entry, verdict, result.Detail);
            }
            else
            {
                _queue.Settle(entry, verdict, result.Detail);
            }
        }

        switch (verdict.Kind)
        {
            case VerdictKind.Delivered:
                Counter(receiver, "success").Inc();
                if (_logger.IsEnabled(LogLevel.Information))
                {
                    string kind = n.Kind.ToString().ToLowerInvariant();
                    string severity = n.Severity.ToString();
                    Log.Delivered(_logger, receiver, kind, severity, n.Alerts.Count, result.Detail);
                }

                break;
            case VerdictKind.Retry:
                Counter(receiver, "retry").Inc();
                Log.Retrying(_logger, receiver, verdict.Attempts, verdict.NextAttemptAt!.Value - now, result.Detail);
                break;
            default:
                Counter(receiver, "failure").Inc();
                if (verdict.GivenUp)
                {
                    Log.GivenUp(_logger, receiver, verdict.Attempts, result.Detail);
                }
                else
                {
                    Log.Rejected(_logger, receiver, result.Detail);
                }

                break;
        }

        if (verdict.Fallback)
        {
            await FallbackAsync(n, receiver, now, stoppingToken);
        }
    }

    /// <summary>Hands a notification that cannot get through to the severity's fallback receiver, once.</summary>
    private async Task FallbackAsync(Notification n, string receiver, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_options is not { } options || OutboxPolicy.FallbackFor(n, receiver, options.Severities[n.Severity].Fallback) is not { } fallback)
        {
            return;
        }

        var copy = n with { Id = _alerting.NewNotificationId(), Receiver = fallback, Reason = NotificationReason.Fallback, CreatedAt = now };
        var changes = new StoreChanges { At = now };
        changes.Notifications.Add(copy);
        try
        {
            await _alerting.Store!.SaveAsync(changes, cancellationToken);
        }
        catch (Exception e) when (StoreFailure.Is(e))
        {
            Log.StoreFailed(_logger, e.Message);
            return;
        }

        string severity = n.Severity.ToString();
        Log.Fallback(_logger, receiver, severity, fallback);
        Enqueue([copy]);
    }

    private Sample Counter(string receiver, string result) =>
        _series.Counter("monitor_notifications_total", "Notification attempts by receiver and result (success, retry, failure).", [new("receiver", receiver), new("result", result)]);

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }
}
