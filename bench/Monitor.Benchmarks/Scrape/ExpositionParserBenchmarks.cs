using System.Buffers;
using BenchmarkDotNet.Attributes;
using Monitor.Checks.Scrape;
using Monitor.Metrics;

namespace Monitor.Benchmarks.Scrape;

/// <summary>Parsing a 100k-series exposition (Monitor's own probe_* output, text and OpenMetrics) from its UTF-8 bytes, as a scrape check reads it.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class ExpositionParserBenchmarks
{
    private byte[] _text = [];
    private byte[] _openMetrics = [];
    private readonly ExpositionReader _reader = new();
    private readonly CountingSink _sink = new();

    public int Bytes => _text.Length;

    /// <summary>Monitor's 100k-series probe_* exposition: 10k checks × 10 families, three labels each (check, service, team).</summary>
    public static (byte[] Text, byte[] OpenMetrics) Exposition(int checks = 10_000, Func<int, string>? team = null)
    {
        var store = new SeriesStore();
        string[] families = ProbeFamilies.Names;
        var random = new Random(42);
        for (int c = 0; c < checks; c++)
        {
            var scope = new SeriesScope(store, $"service-{c:D6}", new Dictionary<string, string> { ["service"] = $"svc-{c % 500}", ["team"] = team?.Invoke(c) ?? "platform" });
            foreach (string family in families)
            {
                scope.Gauge(family, "Benchmark series.").Set(random.NextDouble() * 1000);
            }
        }

        var buffer = new ArrayBufferWriter<byte>();
        ExpositionWriter.Write(buffer, store, ExpositionFormat.Text004);
        byte[] text = buffer.WrittenSpan.ToArray();
        buffer.ResetWrittenCount();
        ExpositionWriter.Write(buffer, store, ExpositionFormat.OpenMetrics100);
        return (text, buffer.WrittenSpan.ToArray());
    }

    [GlobalSetup]
    public void Setup() => (_text, _openMetrics) = Exposition();

    /// <summary>The parser alone: every line lexed and checked, values parsed, nothing decoded or kept (what a re-scrape's ingest pays to read).</summary>
    [Benchmark(Baseline = true)]
    public long Text004_100kSeries_Read()
    {
        _reader.Read(_text, openMetrics: false, _sink);
        return _sink.Samples;
    }

    [Benchmark]
    public long OpenMetrics_100kSeries_Read()
    {
        _reader.Read(_openMetrics, openMetrics: true, _sink);
        return _sink.Samples;
    }

    /// <summary>Parsed into families with every sample's name, labels and value decoded (the API tests and the kubelet check use).</summary>
    [Benchmark]
    public int Text004_100kSeries_Families() => ExpositionParser.Parse(_text, openMetrics: false).Count;

    [Benchmark]
    public int OpenMetrics_100kSeries_Families() => ExpositionParser.Parse(_openMetrics, openMetrics: true).Count;

    private sealed class CountingSink : IExpositionSink
    {
        public long Samples { get; private set; }

        public void Family(string name, MetricType type, string help)
        {
        }

        public void Sample(int family, ref LexedSample sample) => Samples++;
    }
}
