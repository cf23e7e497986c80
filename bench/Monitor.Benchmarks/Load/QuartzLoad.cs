using System.Collections.Concurrent;
using Monitor.Checks.Http;
using Monitor.Configuration;
using Monitor.Metrics;
using Quartz;

namespace Monitor.Benchmarks.Load;

/// <summary>
/// The same probes driven by Quartz.NET 4.7 (in-memory store, one SimpleTrigger per target, start times
/// spread across the interval), to decide whether Quartz can be Monitor's check scheduler. Lag is Quartz's
/// own FireTimeUtc minus ScheduledFireTimeUtc.
/// </summary>
internal static class QuartzLoad
{
    private static readonly ConcurrentDictionary<string, HttpCheck> Checks = new();
    private static HistogramSeries _lag = null!;
    private static bool _dispatchOnly;

    public static async Task<LoadHarness.LoadResult> MeasureAsync(int farmPort, int targets, int interval, int window, bool tuned, bool dispatchOnly, Func<int, Task<double>> hits)
    {
        _dispatchOnly = dispatchOnly;
        var store = new SeriesStore();
        _lag = store.Histogram("lag_seconds", "Lag.", SelfMetrics.LagBuckets, []);
        for (int i = 0; i < targets; i++)
        {
            var options = new CheckOptions
            {
                Name = $"t{i}",
                Kind = HttpCheck.Kind,
                Settings = new HttpCheckOptions { Url = new Uri($"http://127.0.0.1:{farmPort}/t/{i}") },
                Interval = TimeSpan.FromSeconds(interval),
                Timeout = TimeSpan.FromSeconds(5),
            };
            Checks[options.Name] = new HttpCheck(options, new SeriesScope(store, options.Name, new Dictionary<string, string>()), TimeProvider.System);
        }

        var factory = QuartzSchedulerBuilder.Create(q =>
        {
            q.UseDefaultThreadPool(maxConcurrency: 256).UseInMemoryStore();
            if (tuned)
            {
                // Batch triggers due within 10 ms of each other and skip trace-context capture.
                q.ConfigureScheduler(o =>
                {
                    o.BatchTriggerAcquisitionFireAheadTimeWindow = TimeSpan.FromMilliseconds(10);
                    o.PropagateTraceContext = false;
                });
            }
        }).Build();
        var scheduler = await factory.GetScheduler();
        var start = TimeProvider.System.GetUtcNow().AddSeconds(5);
        for (int i = 0; i < targets; i++)
        {
            var job = JobBuilder.Create<ProbeJob>().WithIdentity($"t{i}").UsingJobData("check", $"t{i}").Build();
            var trigger = TriggerBuilder.Create()
                .WithIdentity($"t{i}")
                .StartAt(start.AddTicks(TimeSpan.FromSeconds(interval).Ticks / targets * i))
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(interval)).RepeatForever())
                .Build();
            await scheduler.ScheduleJob(job, trigger);
        }

        await scheduler.Start();
        await Task.Delay(TimeSpan.FromSeconds(interval + 10), TimeProvider.System);

        int pid = Environment.ProcessId;
        double t0 = TimeProvider.System.GetTimestamp() / (double)TimeProvider.System.TimestampFrequency;
        double hits0 = await hits(farmPort);
        double cpu0 = ProcessStats.CpuSeconds(pid);
        var lag0 = Buckets();
        await Task.Delay(TimeSpan.FromSeconds(window), TimeProvider.System);
        double t1 = TimeProvider.System.GetTimestamp() / (double)TimeProvider.System.TimestampFrequency;
        double hits1 = await hits(farmPort);
        double cpu1 = ProcessStats.CpuSeconds(pid);
        var lag1 = Buckets();
        await scheduler.Shutdown(waitForJobsToComplete: false);

        double elapsed = t1 - t0;
        double planned = targets * elapsed / interval;
        double executed = hits1 - hits0;
        var lag = lag1.Select((b, i) => (b.Bound, b.Count - lag0[i].Count)).ToList();
        var memory = ProcessStats.Memory(pid);
        return new LoadHarness.LoadResult(
            "quartz", targets, interval, Math.Round(elapsed, 1), Math.Round(planned), executed, Math.Round(executed / planned, 5),
            LoadHarness.Quantile(lag, 0.5), LoadHarness.Quantile(lag, 0.99), Math.Round((cpu1 - cpu0) / elapsed, 3),
            Math.Round(memory.Rss / 1048576, 1), Math.Round(memory.Peak / 1048576, 1),
            $"in-process: Quartz scheduler + Monitor's HttpCheck, RAM job store, thread pool max concurrency 256{(tuned ? ", 10 ms batch fire-ahead window, no trace context" : string.Empty)}{(dispatchOnly ? ", job only starts the probe (Quartz as trigger engine)" : string.Empty)}; lag = job start minus scheduled fire time");
    }

    private static List<(double Bound, double Count)> Buckets() =>
        [.. _lag.Bounds.Select((b, i) => (b, (double)_lag.CumulativeCount(i))).Append((double.PositiveInfinity, (double)_lag.Count))];

    [DisallowConcurrentExecution]
    internal sealed class ProbeJob : IJob
    {
        public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
        {
            // When the job actually starts, as Monitor measures its own lag (not Quartz's FireTimeUtc).
            if (context.ScheduledFireTimeUtc is { } scheduled)
            {
                _lag.Observe(Math.Max(0, (TimeProvider.System.GetUtcNow() - scheduled).TotalSeconds));
            }

            string name = context.MergedJobDataMap.GetString("check")!;
            if (_dispatchOnly)
            {
                _ = ProbeAsync(name, CancellationToken.None);
                return;
            }

            await ProbeAsync(name, cancellationToken);
        }

        private static async Task ProbeAsync(string name, CancellationToken cancellationToken)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), TimeProvider.System);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            await Checks[name].RunAsync(linked.Token);
        }
    }
}
