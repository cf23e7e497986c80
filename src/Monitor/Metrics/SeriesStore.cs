using System.Collections.Concurrent;
using System.Text;

namespace Monitor.Metrics;

/// <summary>
/// The single store of current series: what <c>/metrics</c> writes and what rules read. Families are kept
/// sorted by name for the exposition; the sorted array is rebuilt only when a family is added.
/// </summary>
internal sealed class SeriesStore
{
    private readonly ConcurrentDictionary<string, MetricFamily> _families = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private MetricFamily[]? _sorted = [];

    /// <summary>Families sorted by name; the array is shared and must not be modified.</summary>
    public MetricFamily[] Families
    {
        get
        {
            MetricFamily[]? sorted = Volatile.Read(ref _sorted);
            if (sorted is not null)
            {
                return sorted;
            }

            lock (_lock)
            {
                return _sorted ??= [.. _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal)];
            }
        }
    }

    public MetricFamily? Find(string name) => _families.GetValueOrDefault(name);

    public MetricFamily Family(string name, MetricType type, string help, double[]? bounds = null)
    {
        if (_families.TryGetValue(name, out var family))
        {
            return Matching(family, type);
        }

        MetricFamily added;
        lock (_lock)
        {
            added = _families.GetOrAdd(name, n => new MetricFamily(n, type, help, bounds));
            _sorted = null;
        }

        return Matching(added, type);
    }

    private static MetricFamily Matching(MetricFamily family, MetricType type) =>
        family.Type == type
            ? family
            : throw new InvalidOperationException($"metric {family.Name} is registered as {family.Type}, not {type}");

    public Sample Gauge(string name, string help, Label[] labels) =>
        GetSample(Family(name, MetricType.Gauge, help), labels);

    public Sample Counter(string name, string help, Label[] labels) =>
        GetSample(Family(name, MetricType.Counter, help), labels);

    public HistogramSeries Histogram(string name, string help, double[] bounds, Label[] labels)
    {
        var family = Family(name, MetricType.Histogram, help, bounds);
        return (HistogramSeries)family.GetOrAdd(labels, null, static (f, l, _) => new HistogramSeries(f, l, f.Bounds!));
    }

    public static Sample GetSample(MetricFamily family, Label[] labels) =>
        (Sample)family.GetOrAdd(labels, null, static (f, l, _) => new Sample(f, l));

    /// <summary>A sample whose line carries its own name (<c>x_bucket</c>, <c>x_sum</c>) inside family x.</summary>
    public static Sample GetSample(MetricFamily family, string sampleName, Label[] labels) =>
        (Sample)family.GetOrAdd(labels, sampleName, static (f, l, n) => new Sample(f, l, n));

    public static bool Remove(Series series) => series.Family.Remove(series);

    /// <summary>A canonical key of a label set: sorted by name, separated by bytes that cannot occur in names.</summary>
    public static string KeyOf(Label[] labels)
    {
        if (labels.Length == 0)
        {
            return string.Empty;
        }

        var sorted = (Label[])labels.Clone();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var sb = new StringBuilder();
        foreach (var label in sorted)
        {
            sb.Append(label.Name).Append('\u0001').Append(label.Value).Append('\u0002');
        }

        return sb.ToString();
    }
}
