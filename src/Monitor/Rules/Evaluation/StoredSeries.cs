using Monitor.Metrics;

namespace Monitor.Rules.Evaluation;

/// <summary>A series with its samples in time order (milliseconds), as the evaluator reads them.</summary>
internal sealed class StoredSeries
{
    /// <summary>Prometheus' staleness marker: a NaN with this exact bit pattern.</summary>
    public const long StaleNaNBits = 0x7ff0000000000002;

    public StoredSeries(Label[] labels) => Labels = labels;

    public Label[] Labels { get; }

    public List<long> Times { get; } = [];

    public List<double> Values { get; } = [];

    public static double StaleNaN => BitConverter.Int64BitsToDouble(StaleNaNBits);

    public static bool IsStale(double value) => BitConverter.DoubleToInt64Bits(value) == StaleNaNBits;

    public void Add(long time, double value)
    {
        Times.Add(time);
        Values.Add(value);
    }

    /// <summary>Index of the last sample at or before <paramref name="time"/>, or -1.</summary>
    public int LastIndexAtOrBefore(long time)
    {
        int index = Times.BinarySearch(time);
        return index >= 0 ? index : ~index - 1;
    }
}
