using System.Buffers;

namespace Monitor.Metrics;

/// <summary>
/// One series (or, for histograms, one bucketed series) of a family. The exposition bytes of its name and
/// labels are encoded once, when the series is created, so a scrape only copies bytes and formats numbers.
/// </summary>
internal abstract class Series
{
    protected Series(MetricFamily family, Label[] labels, string key)
    {
        Family = family;
        Labels = labels;
        Key = key;
    }

    public MetricFamily Family { get; }

    /// <summary>The labels, without <c>__name__</c>, in exposition order.</summary>
    public Label[] Labels { get; }

    /// <summary>Canonical identity of the labels within the family.</summary>
    public string Key { get; }

    internal abstract void Write(IBufferWriter<byte> writer);
}
