using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Delivery;
using Monitor.Delivery.Outbox;
using Monitor.Delivery.Reports;
using Monitor.Hosting;
using Monitor.Metrics;

namespace Monitor.Tests.Delivery.Reports;

/// <summary>
/// A report occurrence that passes while Monitor is stopped (or no replica leads) is sent once when sending
/// resumes, marked late, and never again: on the SQLite store, each "restart" a new scheduler and a new store
/// over the same file, on a fake clock.
/// </summary>
public sealed class ReportCatchUpTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"monitor-report-{Guid.NewGuid():N}.db");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 23, 0, 0, TimeSpan.Zero)); // 08:00 Seoul

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (string file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }

    private sealed class Leader(IAlertStore store) : IAlertingOutbox
    {
        public event Action<IReadOnlyList<Notification>>? Committed;

        public event Action<IReadOnlyDictionary<string, List<AlertSnapshot>>>? LeadershipAcquired;

        public event Action? LeadershipLost
        {
            add { }
            remove { }
        }

        public bool IsLeader { get; set; } = true;

        public bool MaySend => IsLeader;

        public IAlertStore? Store => store;

        public string NewNotificationId() => Guid.NewGuid().ToString("N");

        public void Touch()
        {
            Committed?.Invoke([]);
            LeadershipAcquired?.Invoke(new Dictionary<string, List<AlertSnapshot>>());
        }
    }

    private sealed class NoAlerts : IAlertService
    {
        public string? StoreProblem => null;

        public bool IsLeader => true;

        public AlertPolicy? Policy => null;

        public IReadOnlySet<string> Suppressed => new HashSet<string>();

        public Task<AckResult> AcknowledgeAsync(string fingerprint, string by, string comment, Func<DateTimeOffset, bool>? episode = null) => throw new NotSupportedException();

        public Task<Silence> AddSilenceAsync(Silence silence) => throw new NotSupportedException();

        public Task<bool> ExpireSilenceAsync(string id) => throw new NotSupportedException();

        public Task<int> IngestAsync(IReadOnlyList<IncomingAlert> alerts) => throw new NotSupportedException();

        public Task<List<AlertRecord>> ActiveAlertsAsync() => Task.FromResult(new List<AlertRecord>());

        public Task<List<(AlertRecord Alert, int EscalationStep)>> ActiveAlertsWithStepsAsync() => Task.FromResult(new List<(AlertRecord, int)>());

        public Task<List<Silence>> SilencesAsync() => Task.FromResult(new List<Silence>());

        public Task<IReadOnlyList<OutboxEntry>> DeliveryFailuresAsync(int limit, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private sealed class NoFacts : IReportSource
    {
        public ReportFacts Facts() => ReportFacts.None;
    }

    private static MonitorOptions Options(string cron = "0 9 * * *") => MonitorConfig.Parse($"""
        receivers:
          - name: hook
            webhook: {"{"} url: "http://127.0.0.1:9/" {"}"}
        reports:
          - name: morning
            cron: "{cron}"
            timezone: Asia/Seoul
            notify: [hook]
        """, "monitor.yaml", _ => null).Options!;

    /// <summary>One run of Monitor: a store over the file and a scheduler, torn down by disposing.</summary>
    private sealed class Run : IAsyncDisposable
    {
        private readonly OutboxDispatcher _outbox;

        public Run(string path, TimeProvider time, MonitorOptions options)
        {
            Store = SqlAlertStore.Sqlite(path);
            Store.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
            Leader = new Leader(Store);
            _outbox = new OutboxDispatcher(Leader, new NotifierFactory(new HttpClient(), time, []), new OutboxPolicy(() => 0.5), new SeriesStore(), time, NullLogger<OutboxDispatcher>.Instance);
            Scheduler = new ReportScheduler(new NoAlerts(), Leader, _outbox, new NoFacts(), time, NullLogger<ReportScheduler>.Instance);
            Scheduler.Apply(options);
        }

        public SqlAlertStore Store { get; }

        public Leader Leader { get; }

        public ReportScheduler Scheduler { get; }

        public Task TickAsync() => Scheduler.TickAsync(CancellationToken.None);

        public async Task<List<Notification>> OutboxAsync() =>
            [.. (await Store.PendingAsync(DateTimeOffset.MaxValue, 1000, CancellationToken.None)).Select(e => e.Notification)];

        public async ValueTask DisposeAsync()
        {
            Scheduler.Dispose();
            _outbox.Dispose();
            await Store.DisposeAsync();
        }
    }

    [Fact]
    public async Task OnTime_IsSentOnce_NotLate()
    {
        await using var run = new Run(_path, _time, Options());
        await run.TickAsync(); // first sight at 08:00 Seoul: the schedule starts here
        _time.Advance(TimeSpan.FromHours(1));
        await run.TickAsync();
        await run.TickAsync();
        var note = Assert.Single(await run.OutboxAsync());
        Assert.Equal("report-morning-hook-1795392000", note.Id); // 2026-11-23 09:00 +09:00
        Assert.StartsWith("Monitor report morning: 2026-11-23 09:00 (Asia/Seoul)\n", note.Report, StringComparison.Ordinal);
        Assert.False(note.GroupLabels.ContainsKey("late"));
    }

    [Fact]
    public async Task FirstStart_DoesNotSendThePreviousOccurrence()
    {
        _time.Advance(TimeSpan.FromHours(3)); // 11:00 Seoul, two hours after a 09:00 this store never knew
        await using var run = new Run(_path, _time, Options());
        await run.TickAsync();
        Assert.Empty(await run.OutboxAsync());
    }

    [Fact]
    public async Task DueWhileStopped_IsSentOnceAfterStart_MarkedLate_AndNotAgainAfterRestarts()
    {
        await using (var first = new Run(_path, _time, Options()))
        {
            await first.TickAsync(); // 08:00: running, then stopped before 09:00
        }

        _time.Advance(TimeSpan.FromHours(2.5)); // 10:30 Seoul: 09:00 passed while stopped
        await using (var second = new Run(_path, _time, Options()))
        {
            await second.TickAsync();
            await second.TickAsync();
            var note = Assert.Single(await second.OutboxAsync());
            Assert.Equal(ReportScheduler.NotificationId("morning", "hook", new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.FromHours(9))), note.Id);
            Assert.StartsWith("Monitor report morning: 2026-11-23 09:00 (Asia/Seoul) (late, sent 2026-11-23 10:30)\n", note.Report, StringComparison.Ordinal);
            Assert.Equal("true", note.GroupLabels["late"]);
        }

        // Restarted after the late send (its entry still pending, as after a kill before delivery): not queued again.
        _time.Advance(TimeSpan.FromMinutes(5));
        await using (var third = new Run(_path, _time, Options()))
        {
            await third.TickAsync();
            Assert.Single(await third.OutboxAsync());
            var marks = await third.Store.ReportMarksAsync(CancellationToken.None);
            Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero), marks["morning"]);
        }
    }

    [Fact]
    public async Task SameOccurrenceQueuedAgain_DedupesOnItsId()
    {
        await using (var first = new Run(_path, _time, Options()))
        {
            await first.TickAsync();
        }

        _time.Advance(TimeSpan.FromHours(1)); // stopped across 09:00 (or killed before its send committed)
        _time.Advance(TimeSpan.FromMinutes(3));
        await using var second = new Run(_path, _time, Options());
        // A send of the same occurrence that did commit just before (a racing duplicate) dedupes on its id.
        await second.Scheduler.SendAsync(Options().Reports[0], new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero), _time.GetUtcNow(), CancellationToken.None);
        await second.TickAsync();
        await second.Scheduler.SendAsync(Options().Reports[0], new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero), _time.GetUtcNow(), CancellationToken.None);
        Assert.Single(await second.OutboxAsync());
    }

    [Fact]
    public async Task AWeekDown_SendsOnlyTheMostRecentMissedOccurrence()
    {
        await using (var first = new Run(_path, _time, Options()))
        {
            await first.TickAsync();
        }

        _time.Advance(TimeSpan.FromDays(7)); // 2026-11-30 08:00 Seoul: seven 09:00s passed, the last on 11-29
        await using var second = new Run(_path, _time, Options());
        await second.TickAsync();
        var note = Assert.Single(await second.OutboxAsync());
        Assert.StartsWith("Monitor report morning: 2026-11-29 09:00 (Asia/Seoul) (late", note.Report, StringComparison.Ordinal);
        _time.Advance(TimeSpan.FromHours(1));
        await second.TickAsync();
        Assert.Equal(2, (await second.OutboxAsync()).Count); // 11-30 09:00 on time
    }

    [Fact]
    public async Task Takeover_ANewLeaderSendsWhatNoReplicaSent()
    {
        await using var run = new Run(_path, _time, Options());
        await run.TickAsync();
        run.Leader.IsLeader = false; // the lease is lost (another replica, then none) across 09:00
        _time.Advance(TimeSpan.FromHours(1));
        await run.TickAsync();
        _time.Advance(TimeSpan.FromMinutes(10));
        run.Leader.IsLeader = true;
        await run.TickAsync();
        var note = Assert.Single(await run.OutboxAsync());
        Assert.Contains("(late, sent 2026-11-23 09:10)", note.Report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reschedule_ByReload_DoesNotCountEarlierTimesAsMissed()
    {
        await using var run = new Run(_path, _time, Options());
        await run.TickAsync();
        _time.Advance(TimeSpan.FromMinutes(30)); // 08:30
        run.Scheduler.Apply(Options("0 8 * * *"));
        await run.TickAsync();
        Assert.Empty(await run.OutboxAsync());
    }

    [Fact]
    public void LatestOccurrence_OfAFrequentScheduleMissedForAYear_IsTheLastOne()
    {
        var report = Options("* * * * *").Reports[0];
        var now = new DateTimeOffset(2027, 11, 22, 12, 0, 30, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2027, 11, 22, 12, 0, 0, TimeSpan.Zero), ReportScheduler.LatestOccurrence(report, now.AddYears(-1), now));
    }
}
