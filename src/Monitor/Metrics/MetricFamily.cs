using System.Text;

namespace Monitor.Metrics;

/// <summary>
/// All series of one metric name. Series are added and removed rarely (a check added, a mount gone) and
/// written on every scrape, so membership changes rebuild a snapshot array and scrapes read it lock-free.
/// </summary>
internal sealed class MetricFamily
{
    private readonly HashSet<Series> _series = new(SeriesIdentityComparer.Instance);
    private readonly HashSet<Series>.AlternateLookup<SeriesIdentity> _byIdentity;
    private readonly Lock _lock = new();
    private Series[]? _snapshot = [];

    internal MetricFamily(string name, MetricType type, string help, double[]? bounds)
    {
        Name = name;
        Type = type;
        Help = help;
        Bounds = bounds;
        _byIdentity = _series.GetAlternateLookup<SeriesIdentity>();
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
                snapshot = _snapshot ??= [.. _series];
                return snapshot;
            }
        }
    }

    /// <summary>Whether a series of these labels exists: a lookup, where scanning <see cref="Snapshot"/> (rebuilt after every add) made publishing n series O(n²).</summary>
    internal bool Contains(Label[] labels, string? sampleName = null)
    {
        lock (_lock)
        {
            return _byIdentity.Contains(new SeriesIdentity(Own(sampleName), labels));
        }
    }

    /// <summary>The series of these labels (in any order) and sample name, made by <paramref name="create"/> when there is none.</summary>
    internal Series GetOrAdd(Label[] labels, string? sampleName, Func<MetricFamily, Label[], string?, Series> create)
    {
        lock (_lock)
        {
            if (_byIdentity.TryGetValue(new SeriesIdentity(Own(sampleName), labels), out var existing))
            {
                return existing;
            }

            var series = create(this, labels, sampleName);
            _series.Add(series);
            _snapshot = null;
            return series;
        }
    }

    /// <summary>Puts a removed series back, unless one of its identity has been added since (that one stays).</summary>
    internal Series Restore(Series series)
    {
        lock (_lock)
        {
            if (_series.TryGetValue(series, out var existing))
            {
                return existing;
            }

            _series.Add(series);
            _snapshot = null;
            return series;
        }
    }

    internal bool Remove(Series series)
    {
        lock (_lock)
        {
            if (_series.TryGetValue(series, out var existing) && ReferenceEquals(existing, series))
            {
                _series.Remove(series);
                _snapshot = null;
                return true;
            }

            return false;
        }
    }

    private string? Own(string? sampleName) => sampleName == Name ? null : sampleName;

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
