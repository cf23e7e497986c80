using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Monitor.Metrics;

namespace Monitor.Benchmarks.Exposition;

/// <summary>
/// One scrape of a store shaped like Monitor's real output: probe_* series of HTTP checks, each with the
/// check label and two configured labels, values changing between scrapes.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ExpositionBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024 * 1024);
    private SeriesStore _store = null!;

    private PipeWriter _pipe = null!;
    private Sample[] _samples = [];
    private double _bump;

    [Params(10_000, 100_000)]
    public int Series { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _store = new SeriesStore();
        string[] families = ProbeFamilies.Names;
        int checks = Series / families.Length;
        var random = new Random(42);
        for (int c = 0; c < checks; c++)
        {
            var scope = new SeriesScope(_store, $"service-{c:D6}", new Dictionary<string, string>
            {
                ["service"] = $"svc-{c % 500}",
                ["team"] = (c % 3) switch { 0 => "platform", 1 => "data", _ => "ml" },
            });
            foreach (string family in families)
            {
                scope.Gauge(family, "Benchmark series.").Set(random.NextDouble() * 1000);
            }
        }

        _samples = [.. _store.Families.SelectMany(f => f.Snapshot).OfType<Sample>()];
        _pipe = PipeWriter.Create(Stream.Null, new StreamPipeWriterOptions(leaveOpen: true));
        // Warm the snapshots so the measured scrapes are steady-state ones.
        ExpositionWriter.Write(_buffer, _store, ExpositionFormat.Text004);
    }

    [Benchmark(Baseline = true)]
    public int Text004()
    {
        _buffer.ResetWrittenCount();
        ExpositionWriter.Write(_buffer, _store, ExpositionFormat.Text004);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int OpenMetrics100()
    {
        _buffer.ResetWrittenCount();
        ExpositionWriter.Write(_buffer, _store, ExpositionFormat.OpenMetrics100);
        return _buffer.WrittenCount;
    }

    /// <summary>The path /metrics takes: a PipeWriter flushed every 2048 series (here over Stream.Null).</summary>
    [Benchmark]
    public async Task Text004ToPipe() => await ExpositionWriter.WriteAsync(_pipe, _store, ExpositionFormat.Text004, CancellationToken.None);

    /// <summary>
    /// The worst case: every value changed since the last scrape, so every double is formatted again
    /// (includes setting the 10k/100k values, a small part of the time).
    /// </summary>
    [Benchmark]
    public int Text004AllValuesChanged()
    {
        _bump += 0.001;
        foreach (var sample in _samples)
        {
            sample.Set(sample.Value + _bump);
        }

        _buffer.ResetWrittenCount();
        ExpositionWriter.Write(_buffer, _store, ExpositionFormat.Text004);
        return _buffer.WrittenCount;
    }

}
