using System.Buffers;
using System.IO.Pipelines;

namespace Monitor.Metrics;

/// <summary>
/// Writes the store in text 0.0.4 or OpenMetrics 1.0.0. Steady-state scrapes allocate nothing of their own:
/// series bytes are pre-encoded, numbers are formatted straight into the writer's (pooled) buffers.
/// </summary>
internal static class ExpositionWriter
{
    public const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    // Flush a response this often so a 100k-series scrape never holds the whole body in memory.
    private const int FlushEverySeries = 2048;

    private static readonly byte[] Eof = "# EOF\n"u8.ToArray();

    public static string ContentType(ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetrics100 ? OpenMetricsContentType : TextContentType;

    public static void Write(IBufferWriter<byte> writer, SeriesStore store, ExpositionFormat format)
    {
        foreach (var family in store.Families)
        {
            var series = family.Snapshot;
            if (series.Length == 0)
            {
                continue;
            }

            ExpositionText.WriteRaw(writer, Header(family, format));
            foreach (var s in series)
            {
                s.Write(writer);
            }
        }

        if (format == ExpositionFormat.OpenMetrics100)
        {
            ExpositionText.WriteRaw(writer, Eof);
        }
    }

    public static async ValueTask WriteAsync(PipeWriter writer, SeriesStore store, ExpositionFormat format, CancellationToken cancellationToken)
    {
        int sinceFlush = 0;
        foreach (var family in store.Families)
        {
            var series = family.Snapshot;
            if (series.Length == 0)
            {
                continue;
            }

            ExpositionText.WriteRaw(writer, Header(family, format));
            foreach (var s in series)
            {
                s.Write(writer);
                if (++sinceFlush == FlushEverySeries)
                {
                    sinceFlush = 0;
                    var result = await writer.FlushAsync(cancellationToken);
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        return;
                    }
                }
            }
        }

        if (format == ExpositionFormat.OpenMetrics100)
        {
            ExpositionText.WriteRaw(writer, Eof);
        }

        await writer.FlushAsync(cancellationToken);
    }

    private static byte[] Header(MetricFamily family, ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetrics100 ? family.OpenMetricsHeader : family.TextHeader;
}
