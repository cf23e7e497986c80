using System.Buffers;

namespace Monitor.Metrics;

/// <summary>
/// One series (or, for histograms, one bucketed series) of a family. The exposition bytes of its name and
/// labels are encoded once, when the series is created, so a scrape only copies bytes and formats numbers.
/// </summary>
internal abstract class Series
{
    protected Series(MetricFamily family, Label[] labels, string? sampleName)
    {
        Family = family;
        Labels = labels;
        SampleName = sampleName == family.Name ? null : sampleName;
    }

    public MetricFamily Family { get; }

    /// <summary>The labels, without <c>__name__</c>, in exposition order.</summary>
    public Label[] Labels { get; }

    /// <summary>
    /// The name on the sample line where it is not the family's (<c>x_bucket</c>, <c>x_sum</c> of a histogram
    /// re-exposed as scraped); null otherwise. With the labels, as a set, it is the series' identity in its family.
    /// </summary>
    public string? SampleName { get; }

    internal abstract void Write(IBufferWriter<byte> writer);
}
