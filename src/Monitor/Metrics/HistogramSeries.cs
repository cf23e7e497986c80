using System.Buffers;

namespace Monitor.Metrics;

/// <summary>
/// A histogram with explicit upper bounds. Observations are lock-free; a scrape that races an observation
/// may see the new count before the new sum, never a <c>+Inf</c> bucket that differs from <c>_count</c>.
/// </summary>
internal sealed class HistogramSeries : Series
{
    private readonly double[] _bounds;
    private readonly long[] _counts; // one per bound plus the overflow bucket
    private readonly byte[][] _bucketPrefixes; // one per bound plus +Inf
    private readonly byte[] _sumPrefix;
    private readonly byte[] _countPrefix;
    private double _sum;

    internal HistogramSeries(MetricFamily family, Label[] labels, double[] bounds)
        : base(family, labels, null)
    {
        _bounds = bounds;
        _counts = new long[bounds.Length + 1];
        _bucketPrefixes = new byte[bounds.Length + 1][];
        for (int i = 0; i < bounds.Length; i++)
        {
            _bucketPrefixes[i] = ExpositionText.EncodeSeriesPrefix(family.Name + "_bucket", labels, new Label("le", ExpositionText.FormatBound(bounds[i])));
        }

        _bucketPrefixes[bounds.Length] = ExpositionText.EncodeSeriesPrefix(family.Name + "_bucket", labels, new Label("le", "+Inf"));
        _sumPrefix = ExpositionText.EncodeSeriesPrefix(family.Name + "_sum", labels, null);
        _countPrefix = ExpositionText.EncodeSeriesPrefix(family.Name + "_count", labels, null);
    }

    public IReadOnlyList<double> Bounds => _bounds;

    public double Sum => Volatile.Read(ref _sum);

    public long Count
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _counts.Length; i++)
            {
                total += Volatile.Read(ref _counts[i]);
            }

            return total;
        }
    }

    /// <summary>Cumulative count of observations less than or equal to bucket <paramref name="index"/>'s bound.</summary>
    public long CumulativeCount(int index)
    {
        long total = 0;
        for (int i = 0; i <= index; i++)
        {
            total += Volatile.Read(ref _counts[i]);
        }

        return total;
    }

    public void Observe(double value)
    {
        // Linear search: the bucket lists used here are short (≤ 16), where it beats a binary search.
        int i = 0;
        while (i < _bounds.Length && value > _bounds[i])
        {
            i++;
        }

        Interlocked.Increment(ref _counts[i]);
        AtomicDouble.Add(ref _sum, value);
    }

    internal override void Write(IBufferWriter<byte> writer)
    {
        long cumulative = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            cumulative += Volatile.Read(ref _counts[i]);
            ExpositionText.WriteLine(writer, _bucketPrefixes[i], cumulative);
        }

        ExpositionText.WriteLine(writer, _sumPrefix, Sum);
        ExpositionText.WriteLine(writer, _countPrefix, cumulative);
    }
}
