using Monitor.Metrics;

namespace Monitor.Checks.Host;

/// <summary>
/// The series of one run: each run sets what it read, and <see cref="Sweep"/> then removes every series the run
/// did not set (a device that went away, a file that could not be read), so nothing stale is left behind,
/// as node_exporter publishes only what it read at this scrape.
/// </summary>
internal sealed class HostSeries(SeriesScope scope)
{
    private Dictionary<string, Sample> _live = new(StringComparer.Ordinal);
    private Dictionary<string, Sample> _next = new(StringComparer.Ordinal);

    public void Gauge(string name, string help, double value, params Label[] labels) => Set(name, help, MetricType.Gauge, value, labels);

    public void Counter(string name, string help, double value, params Label[] labels) => Set(name, help, MetricType.Counter, value, labels);

    /// <summary>Removes the series this run did not set; the next run starts from those it did.</summary>
    public void Sweep()
    {
        foreach (var stale in _live.Values)
        {
            scope.Remove(stale);
        }

        _live.Clear();
        (_live, _next) = (_next, _live);
    }

    /// <summary>After an interrupted run: every series stays, those this run set and those it did not reach.</summary>
    public void Keep()
    {
        foreach (var (key, sample) in _next)
        {
            _live[key] = sample;
        }

        _next.Clear();
    }

    private void Set(string name, string help, MetricType type, double value, Label[] labels)
    {
        string key = name + "\u0000" + SeriesStore.KeyOf(labels);
        if (!_live.Remove(key, out var sample) && !_next.TryGetValue(key, out sample))
        {
            sample = type == MetricType.Gauge ? scope.Gauge(name, help, labels) : scope.Counter(name, help, labels);
        }

        _next[key] = sample;
        sample.Set(value);
    }
}
