using System.Collections.Concurrent;
using System.Reflection;

namespace Monitor.Metrics;

/// <summary>Monitor's own <c>monitor_*</c> series (README, Metrics).</summary>
internal sealed class SelfMetrics
{
    public static readonly double[] CheckDurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    public static readonly double[] LagBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

    private readonly SeriesStore _store;
    private readonly ConcurrentDictionary<string, HistogramSeries> _durations = new(StringComparer.Ordinal);
    private readonly Sample _reloadSuccessful;
    private readonly Sample _reloadTimestamp;

    public SelfMetrics(SeriesStore store)
    {
        _store = store;
        store.Gauge("monitor_build_info", "A metric with a constant '1' value labeled by version and runtime version from which Monitor was built.",
            [new("version", Version), new("dotnet_version", Environment.Version.ToString())]).Set(1);
        SchedulerLag = store.Histogram("monitor_scheduler_lag_seconds", "Actual minus planned start time of check runs, in seconds.", LagBuckets, []);
        _reloadSuccessful = store.Gauge("monitor_config_last_reload_successful", "Whether the last configuration reload attempt was successful.", []);
        _reloadTimestamp = store.Gauge("monitor_config_last_reload_success_timestamp_seconds", "Timestamp of the last successful configuration reload.", []);
        Process = new ProcessMetrics(store);
        InternalErrors.Register(store);
    }

    public static string Version { get; } =
        typeof(SelfMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public HistogramSeries SchedulerLag { get; }

    public ProcessMetrics Process { get; }

    /// <summary>The run durations of one check kind, labelled by its configuration key.</summary>
    public HistogramSeries CheckDuration(string kind) => _durations.GetOrAdd(kind, k => _store.Histogram(
        "monitor_check_duration_seconds",
        "Duration of check runs in seconds, by check kind.",
        CheckDurationBuckets,
        [new("kind", k)]));

    /// <summary>Logs and counts a fault a background loop caught (<see cref="InternalErrors"/>).</summary>
    public void InternalError(Microsoft.Extensions.Logging.ILogger logger, string component, Exception error) =>
        InternalErrors.Record(_store, logger, component, error);

    public void ConfigReloaded(bool success, DateTimeOffset at)
    {
        _reloadSuccessful.Set(success ? 1 : 0);
        if (success)
        {
            _reloadTimestamp.Set(at.ToUnixTimeMilliseconds() / 1000.0);
        }
    }
}
