using System.Text;

namespace Monitor.Metrics;

/// <summary>
/// All series of one metric name. Series are added and removed rarely (a check added, a mount gone) and
/// written on every scrape, so membership changes rebuild a snapshot array and scrapes read it lock-free.
/// </summary>
internal sealed class MetricFamily
{
    private readonly Dictionary<string, Series> _byKey = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private Series[]? _snapshot = [];

    internal MetricFamily(string name, MetricType type, string help, double[]? bounds)
    {
        Name = name;
        Type = type;
        Help = help;
        Bounds = bounds;
        TextHeader = Encoding.UTF8.GetBytes(BuildHeader(ExpositionFormat.Text004));
        OpenMetricsHeader = Encoding.UTF8.GetBytes(BuildHeader(ExpositionFormat.OpenMetrics100));
    }

    public string Name { get; }

    public MetricType Type { get; }

    public string Help { get; }

    /// <summary>Bucket upper bounds, for histograms.</summary>
    public double[]? Bounds { get; }

    internal byte[] TextHeader { get; }

    internal byte[] OpenMetricsHeader { get; }

    public int Count => Snapshot.Length;

    /// <summary>The current series; the array is shared and must not be modified.</summary>
    public Series[] Snapshot
    {
        get
        {
            Series[]? snapshot = Volatile.Read(ref _snapshot);
            if (snapshot is not null)
            {
                return snapshot;
            }

            lock (_lock)
            {
                snapshot = _snapshot ??= [.. _byKey.Values];
                return snapshot;
            }
        }
    }

    /// <summary>Whether a series of this key exists: a lookup, where scanning <see cref="Snapshot"/> (rebuilt after every add) made publishing n series O(n²).</summary>
    internal bool Contains(string key)
    {
        lock (_lock)
        {
            return _byKey.ContainsKey(key);
        }
    }

    internal Series GetOrAdd(string key, Func<MetricFamily, string, Series> create)
    {
        lock (_lock)
        {
            if (_byKey.TryGetValue(key, out var existing))
            {
                return existing;
            }

            var series = create(this, key);
            _byKey.Add(key, series);
            _snapshot = null;
            return series;
        }
    }

    internal bool Remove(Series series)
    {
        lock (_lock)
        {
            if (_byKey.TryGetValue(series.Key, out var existing) && ReferenceEquals(existing, series))
            {
                _byKey.Remove(series.Key);
                _snapshot = null;
                return true;
            }

            return false;
        }
    }

    private string BuildHeader(ExpositionFormat format)
    {
        string typeName = (Type, format) switch
        {
            (MetricType.Gauge, _) => "gauge",
            (MetricType.Histogram, _) => "histogram",
            (MetricType.Summary, _) => "summary",
            (MetricType.Counter, ExpositionFormat.Text004) => "counter",
            // OpenMetrics counters must be named x with samples x_total; a counter mirrored without _total
            // (postgres_exporter's pg_stat_database_*) cannot be an OpenMetrics counter.
            (MetricType.Counter, _) when Name.EndsWith("_total", StringComparison.Ordinal) => "counter",
            (MetricType.Counter or MetricType.Unknown, ExpositionFormat.OpenMetrics100) => "unknown",
            _ => "untyped",
        };
        string familyName = format == ExpositionFormat.OpenMetrics100 && typeName == "counter"
            ? Name[..^"_total".Length]
            : Name;
        return $"# HELP {familyName} {ExpositionText.EscapeHelp(Help, format)}\n# TYPE {familyName} {typeName}\n";
    }
}
