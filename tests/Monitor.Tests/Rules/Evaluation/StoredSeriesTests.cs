using Monitor.Metrics;
using Monitor.Rules.Evaluation;

namespace Monitor.Tests.Rules.Evaluation;

/// <summary>The history's compressed chunks give back exactly what was added, whatever the timestamps and value bits.</summary>
public class StoredSeriesTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Add_AnyTimestampsAndValueBits_ReadBackExactly(int seed)
    {
        var random = new Random(seed);
        var series = new StoredSeries([new Label("__name__", "x")]);
        var expected = new List<Point>();
        long t = random.NextInt64(-1_000_000_000_000, 1_000_000_000_000);
        double v = 0;
        Span<byte> bits = stackalloc byte[8];
        for (int i = 0; i < 1000; i++)
        {
            // Regular steps, jitter, long gaps; values repeated, nudged, or any bit pattern (NaNs, stale markers).
            t += random.Next(4) switch
            {
                0 => 15_000,
                1 => 15_000 + random.Next(-50, 50),
                2 => random.NextInt64(1, 1L << 40),
                _ => 1,
            };
            switch (random.Next(4))
            {
                case 0:
                    break;
                case 1:
                    v += 1;
                    break;
                case 2:
                    random.NextBytes(bits);
                    v = BitConverter.ToDouble(bits);
                    break;
                default:
                    v = StoredSeries.StaleNaN;
                    break;
            }

            series.Add(t, v);
            expected.Add(new Point(t, v));
        }

        var actual = series.All();
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].T, actual[i].T);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected[i].V), BitConverter.DoubleToInt64Bits(actual[i].V));
        }
    }

    [Fact]
    public void Bytes_SixtyRegularSamples_TakeUnderFourBytesEach()
    {
        // A probe series as the rules keep it: every 15 s, its value changing now and then.
        var series = new StoredSeries([new Label("__name__", "probe_duration_seconds")]);
        double v = 0.25;
        for (int i = 0; i < 62; i++)
        {
            v += i % 7 == 0 ? 1 : 0;
            series.Add(1_800_000_000_000 + (i * 15_000L), v);
        }

        Assert.True(series.Bytes / 62.0 < 4, $"{series.Bytes} bytes for 62 samples");
    }
}
