using System.Buffers;
using System.Text;
using Monitor.Metrics;

namespace Monitor.Tests.TestSupport;

internal static class Exposition
{
    public static string Text(SeriesStore store, ExpositionFormat format = ExpositionFormat.Text004)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ExpositionWriter.Write(buffer, store, format);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Sample lines (no comments) as name{labels} → value.</summary>
    public static Dictionary<string, string> Samples(SeriesStore store) =>
        Text(store).Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToDictionary(l => l[..l.LastIndexOf(' ')], l => l[(l.LastIndexOf(' ') + 1)..]);
}
