using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Delivery.Outbox;
using Monitor.Metrics;

namespace Monitor.Delivery.Reports;

/// <summary>
/// Sends each <c>reports:</c> entry at its cron times in its time zone, through the outbox like any
/// notification. Only the replica holding the alerting lease sends reports. The store keeps, per report, the
/// last occurrence sent (its mark, written in the same transaction as the report's outbox entries), so an
/// occurrence that passed while Monitor was down or no replica led is sent once when sending resumes, marked
/// late; only the most recent missed one is sent. The outbox id is derived from the report, the receiver and
/// the occurrence, so the same occurrence can never be queued twice.
/// </summary>
internal sealed class ReportScheduler(IAlertService alerting, IAlertingOutbox pipeline, OutboxDispatcher outbox, IReportSource source, TimeProvider time, ILogger<ReportScheduler> logger, SeriesStore? series = null) : BackgroundService
{
    /// <summary>An occurrence sent later than this after its time is marked late.</summary>
    public static readonly TimeSpan LateAfter = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private IReadOnlyList<ReportOptions> _reports = [];

    /// <summary>The store's marks, read when this replica starts sending (start, takeover); null while not leading.</summary>
    private Dictionary<string, DateTimeOffset>? _marks;

    /// <summary>Reports whose schedule a reload changed: nothing before the reload counts as missed.</summary>
    private readonly Dictionary<string, DateTimeOffset> _rescheduled = new(StringComparer.Ordinal);

    private SeverityLevels _levels = SeverityLevels.BuiltIn;

    public void Apply(MonitorOptions options)
    {
        lock (_lock)
        {
            Volatile.Write(ref _levels, options.Levels);
            var now = time.GetUtcNow();
            var before = _reports.ToDictionary(r => r.Name, StringComparer.Ordinal);
            foreach (var report in options.Reports)
            {
                if (before.TryGetValue(report.Name, out var old) && (old.Cron.Expression != report.Cron.Expression || old.TimeZone.Id != report.TimeZone.Id))
                {
                    _rescheduled[report.Name] = now;
                }
            }

            _reports = options.Reports;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                await TickAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // This second's pass is lost; the next pass sends what is still due.
                if (series is not null)
                {
                    InternalErrors.Record(series, logger, "reports", e);
                }
            }
        }
    }

    /// <summary>One pass: sends each report whose latest occurrence at or before now is after its mark.</summary>
    public async Task TickAsync(CancellationToken cancellationToken)
    {
        if (!pipeline.IsLeader || pipeline.Store is not { } store)
        {
            lock (_lock)
            {
                _marks = null; // another replica may send meanwhile: read its marks again on takeover
            }

            return;
        }

        var now = time.GetUtcNow();
        Dictionary<string, DateTimeOffset> marks;
        IReadOnlyList<ReportOptions> reports;
        lock (_lock)
        {
            marks = _marks ?? [];
            reports = _reports;
        }

        if (_marks is null)
        {
            try
            {
                marks = new Dictionary<string, DateTimeOffset>(await store.ReportMarksAsync(cancellationToken), StringComparer.Ordinal);
            }
            catch (Exception e) when (StoreFailure.Is(e))
            {
                Log.ReportFailed(logger, "*", e.Message);
                return;
            }

            lock (_lock)
            {
                _marks = marks;
            }
        }

        foreach (var report in reports)
        {
            DateTimeOffset since;
            lock (_lock)
            {
                if (!marks.TryGetValue(report.Name, out since))
                {
                    since = DateTimeOffset.MinValue;
                }

                if (_rescheduled.TryGetValue(report.Name, out var rescheduled) && rescheduled > since)
                {
                    since = rescheduled;
                }
            }

            if (since == DateTimeOffset.MinValue)
            {
                // First sight of this report: its schedule starts now; nothing before counts as missed.
                await SaveMarkAsync(store, report.Name, now, cancellationToken);
                continue;
            }

            if (LatestOccurrence(report, since, now) is { } due)
            {
                await SendAsync(report, due, now, cancellationToken);
            }
        }
    }

    /// <summary>The latest occurrence in (<paramref name="since"/>, <paramref name="now"/>], or null.</summary>
    public static DateTimeOffset? LatestOccurrence(ReportOptions report, DateTimeOffset since, DateTimeOffset now)
    {
        DateTimeOffset? latest = null;
        var t = since;
        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 0; i < 10_000; i++)
            {
                if (report.Cron.Next(t, report.TimeZone) is not { } next || next > now)
                {
                    return latest;
                }

                latest = next;
                t = next;
            }

            // A frequent schedule missed for long: the most recent occurrence lies within the last day.
            t = now.AddDays(-1) > t ? now.AddDays(-1) : t;
        }

        return latest;
    }

    private async Task SaveMarkAsync(IAlertStore store, string report, DateTimeOffset at, CancellationToken cancellationToken)
    {
        try
        {
            var changes = new StoreChanges { At = at };
            changes.Reports[report] = at;
            await store.SaveAsync(changes, cancellationToken);
            lock (_lock)
            {
                _marks?.TryAdd(report, at);
            }
        }
        catch (Exception e) when (StoreFailure.Is(e))
        {
            Log.ReportFailed(logger, report, e.Message);
        }
    }

    /// <summary>
    /// Queues <paramref name="report"/>'s occurrence <paramref name="at"/> for its receivers and records it as the
    /// report's mark, in one transaction; late (and titled so) when sent more than <see cref="LateAfter"/> after it.
    /// </summary>
    public async Task SendAsync(ReportOptions report, DateTimeOffset at, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!pipeline.IsLeader || pipeline.Store is not { } store)
        {
            return;
        }

        bool late = now - at > LateAfter;
        try
        {
            if (late)
            {
                Log.ReportLate(logger, report.Name, at);
            }

            var alerts = await alerting.ActiveAlertsAsync();
            string text = ReportBuilder.Build(report.Name, at, report.TimeZone, source.Facts(), alerts, late ? now : null, Volatile.Read(ref _levels));
            var changes = new StoreChanges { At = now };
            foreach (string receiver in report.Notify)
            {
                changes.Notifications.Add(new Notification
                {
                    Id = NotificationId(report.Name, receiver, at),
                    Receiver = receiver,
                    GroupKey = "report/" + report.Name,
                    DedupKey = "monitor-report-" + report.Name,
                    Severity = Severity.P4,
                    Kind = NotificationKind.Report,
                    Reason = NotificationReason.First,
                    GroupLabels = late
                        ? new Dictionary<string, string> { ["report"] = report.Name, ["late"] = "true" }
                        : new Dictionary<string, string> { ["report"] = report.Name },
                    Alerts = [],
                    CreatedAt = late ? now : at,
                    Report = text,
                });
            }

            changes.Reports[report.Name] = at;
            await store.SaveAsync(changes, cancellationToken);
            lock (_lock)
            {
                if (_marks is not null)
                {
                    _marks[report.Name] = at;
                }
            }

            outbox.Enqueue(changes.Notifications);
            string receivers = string.Join(", ", report.Notify);
            Log.ReportSent(logger, report.Name, receivers);
        }
        catch (Exception e) when (StoreFailure.Is(e) || e is NotLeaderException)
        {
            Log.ReportFailed(logger, report.Name, e.Message);
        }
    }

    /// <summary>One id per report, receiver and occurrence: the outbox keeps the first and ignores the rest.</summary>
    public static string NotificationId(string report, string receiver, DateTimeOffset occurrence) =>
        $"report-{report}-{receiver}-{occurrence.ToUnixTimeSeconds()}";
}
