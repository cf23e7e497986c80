using BenchmarkDotNet.Attributes;
using Monitor.Checks.Scrape;
using Monitor.Metrics;

namespace Monitor.Benchmarks.Scrape;

/// <summary>
/// A scrape check's whole ingest of a 100k-series body (the bytes, as read off the wire): parse, check labels
/// added (the scraped <c>check</c> label re-exposed as <c>exported_check</c>), values published into the store.
/// Steady state: the store already holds the series from a first scrape, as on every scrape after the first.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ScrapeIngestBenchmarks
{
    private byte[] _text = [];
    private byte[] _openMetrics = [];
    private ScrapeIngest _textIngest = null!;
    private ScrapeIngest _openMetricsIngest = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_text, _openMetrics) = ExpositionParserBenchmarks.Exposition();
        _textIngest = Ingest(new SeriesStore(), "scrape-text");
        _openMetricsIngest = Ingest(new SeriesStore(), "scrape-om");
        _textIngest.Ingest(_text, openMetrics: false);
        _openMetricsIngest.Ingest(_openMetrics, openMetrics: true);
    }

    internal static ScrapeIngest Ingest(SeriesStore store, string check) =>
        new(store, new SeriesScope(store, check, new Dictionary<string, string> { ["env"] = "bench" }), _ => true, sampleLimit: 0);

    [Benchmark(Baseline = true)]
    public long Text004_100kSeries_Rescrape() => _textIngest.Ingest(_text, openMetrics: false).Count;

    [Benchmark]
    public long OpenMetrics_100kSeries_Rescrape() => _openMetricsIngest.Ingest(_openMetrics, openMetrics: true).Count;
}
