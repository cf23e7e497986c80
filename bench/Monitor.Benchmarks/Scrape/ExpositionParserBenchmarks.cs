using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Monitor.Checks.Scrape;
using Monitor.Metrics;

namespace Monitor.Benchmarks.Scrape;

/// <summary>Parsing a 100k-series exposition (Monitor's own probe_* output, text and OpenMetrics), as a scrape check does.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class ExpositionParserBenchmarks
{
    private string _text = string.Empty;
    private string _openMetrics = string.Empty;

    public int Bytes => Encoding.UTF8.GetByteCount(_text);

    [GlobalSetup]
    public void Setup()
    {
        var store = new SeriesStore();
        string[] families = ProbeFamilies.Names;
        var random = new Random(42);
        for (int c = 0; c < 10_000; c++)
        {
            var scope = new SeriesScope(store, $"service-{c:D6}", new Dictionary<string, string> { ["service"] = $"svc-{c % 500}", ["team"] = "platform" });
            foreach (string family in families)
            {
                scope.Gauge(family, "Benchmark series.").Set(random.NextDouble() * 1000);
            }
        }

        var buffer = new ArrayBufferWriter<byte>();
        ExpositionWriter.Write(buffer, store, ExpositionFormat.Text004);
        _text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        buffer.ResetWrittenCount();
        ExpositionWriter.Write(buffer, store, ExpositionFormat.OpenMetrics100);
        _openMetrics = Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Benchmark(Baseline = true)]
    public int Text004_100kSeries() => ExpositionParser.Parse(_text, openMetrics: false).Count;

    [Benchmark]
    public int OpenMetrics_100kSeries() => ExpositionParser.Parse(_openMetrics, openMetrics: true).Count;
}
