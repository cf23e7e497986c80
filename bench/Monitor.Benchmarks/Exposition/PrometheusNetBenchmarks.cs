using System.Buffers;
using BenchmarkDotNet.Attributes;
using Monitor.Metrics;

namespace Monitor.Benchmarks.Exposition;

/// <summary>
/// Monitor's exposition writer beside prometheus-net 8.2.1 on the same series: the ten probe_* gauge families of
/// ExpositionBenchmarks, each series labelled check, service and team, values set once (a steady-state scrape),
/// both writing the text format 0.0.4 into a stream that is reset between scrapes.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class PrometheusNetBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024 * 1024);
    private readonly MemoryStream _stream = new(16 * 1024 * 1024);
    private SeriesStore _store = null!;
    private Prometheus.CollectorRegistry _registry = null!;

    [Params(10_000, 100_000)]
    public int Series { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _store = new SeriesStore();
        _registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        string[] families = ProbeFamilies.Names;
        var gauges = families.ToDictionary(f => f, f => factory.CreateGauge(f, "Benchmark series.", new Prometheus.GaugeConfiguration { LabelNames = ["check", "service", "team"], SuppressInitialValue = true }));
        int checks = Series / families.Length;
        var random = new Random(42);
        for (int c = 0; c < checks; c++)
        {
            string check = $"service-{c:D6}", service = $"svc-{c % 500}", team = (c % 3) switch { 0 => "platform", 1 => "data", _ => "ml" };
            var scope = new SeriesScope(_store, check, new Dictionary<string, string> { ["service"] = service, ["team"] = team });
            foreach (string family in families)
            {
                double value = random.NextDouble() * 1000;
                scope.Gauge(family, "Benchmark series.").Set(value);
                gauges[family].WithLabels(check, service, team).Set(value);
            }
        }

        Monitor();
        PrometheusNet();
    }

    [Benchmark(Baseline = true)]
    public int Monitor()
    {
        _buffer.ResetWrittenCount();
        ExpositionWriter.Write(_buffer, _store, ExpositionFormat.Text004);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public long PrometheusNet()
    {
        _stream.SetLength(0);
        _registry.CollectAndExportAsTextAsync(_stream).GetAwaiter().GetResult();
        return _stream.Length;
    }
}
