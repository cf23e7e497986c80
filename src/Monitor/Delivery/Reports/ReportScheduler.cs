using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Delivery.Outbox;

namespace Monitor.Delivery.Reports;

/// <summary>
/// Sends each <c>reports:</c> entry at its cron times in its time zone, through the outbox like any
/// notification. The outbox id is derived from the report and the occurrence, so a restart within the same
/// minute cannot send it twice. Only the replica holding the alerting lease sends reports.
/// </summary>
internal sealed class ReportScheduler(IAlertService alerting, IAlertingOutbox pipeline, OutboxDispatcher outbox, IReportSource source, TimeProvider time, ILogger<ReportScheduler> logger) : BackgroundService
{
    private IReadOnlyList<ReportOptions> _reports = [];
    private SeverityLevels _levels = SeverityLevels.BuiltIn;
    private readonly Dictionary<string, DateTimeOffset> _next = new(StringComparer.Ordinal);

    public void Apply(MonitorOptions options)
    {
        lock (_next)
        {
            _reports = options.Reports;
            Volatile.Write(ref _levels, options.Levels);
            _next.Clear();
            var now = time.GetUtcNow();
            foreach (var report in options.Reports)
            {
                if (report.Cron.Next(now, report.TimeZone) is { } next)
                {
                    _next[report.Name] = next;
                }
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var now = time.GetUtcNow();
            List<(ReportOptions Report, DateTimeOffset At)> due = [];
            lock (_next)
            {
                foreach (var report in _reports)
                {
                    if (_next.TryGetValue(report.Name, out var at) && at <= now)
                    {
                        due.Add((report, at));
                        if (report.Cron.Next(now, report.TimeZone) is { } next)
                        {
                            _next[report.Name] = next;
                        }
                    }
                }
            }

            foreach (var (report, at) in due)
            {
                await SendAsync(report, at, stoppingToken);
            }
        }
    }

    public async Task SendAsync(ReportOptions report, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (!pipeline.IsLeader || pipeline.Store is not { } store)
        {
            return;
        }

        try
        {
            var alerts = await alerting.ActiveAlertsAsync();
            string text = ReportBuilder.Build(report.Name, at, report.TimeZone, source.Facts(), alerts, Volatile.Read(ref _levels));
            var changes = new StoreChanges { At = at };
            foreach (string receiver in report.Notify)
            {
                changes.Notifications.Add(new Notification
                {
                    Id = $"report-{report.Name}-{receiver}-{at.ToUnixTimeSeconds()}",
                    Receiver = receiver,
                    GroupKey = "report/" + report.Name,
                    DedupKey = "monitor-report-" + report.Name,
                    Severity = Severity.P4,
                    Kind = NotificationKind.Report,
                    Reason = NotificationReason.First,
                    GroupLabels = new Dictionary<string, string> { ["report"] = report.Name },
                    Alerts = [],
                    CreatedAt = at,
                    Report = text,
                });
            }

            await store.SaveAsync(changes, cancellationToken);
            outbox.Enqueue(changes.Notifications);
            string receivers = string.Join(", ", report.Notify);
            Log.ReportSent(logger, report.Name, receivers);
        }
        catch (Exception e) when (StoreFailure.Is(e) || e is NotLeaderException)
        {
            Log.ReportFailed(logger, report.Name, e.Message);
        }
    }
}
