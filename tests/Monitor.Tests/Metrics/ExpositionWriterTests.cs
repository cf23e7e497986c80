using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Metrics;

public class ExpositionWriterTests
{
    [Fact]
    public void Text_EscapesLabelValuesAndHelp()
    {
        var store = new SeriesStore();
        store.Gauge("x_value", "Help with \\ backslash\nand newline and \"quotes\".", [new("path", "C:\\dir\n\"q\"")]).Set(1);
        Assert.Equal(
            "# HELP x_value Help with \\\\ backslash\\nand newline and \"quotes\".\n# TYPE x_value gauge\nx_value{path=\"C:\\\\dir\\n\\\"q\\\"\"} 1\n",
            Exposition.Text(store));
    }

    [Fact]
    public void OpenMetrics_EscapesQuotesInHelp_AndEndsWithEof()
    {
        var store = new SeriesStore();
        store.Gauge("x_value", "say \"hi\"", []).Set(2);
        Assert.Equal("# HELP x_value say \\\"hi\\\"\n# TYPE x_value gauge\nx_value 2\n# EOF\n", Exposition.Text(store, ExpositionFormat.OpenMetrics100));
    }

    [Fact]
    public void OpenMetrics_CounterFamilyDropsTotal_CounterWithoutTotalIsUnknown()
    {
        var store = new SeriesStore();
        store.Counter("jobs_total", "Jobs.", []).Add(3);
        store.Counter("pg_stat_database_xact_commit", "Commits.", [new("datname", "app")]).Add(7);
        string om = Exposition.Text(store, ExpositionFormat.OpenMetrics100);
        Assert.Contains("# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total 3\n", om);
        Assert.Contains("# TYPE pg_stat_database_xact_commit unknown\npg_stat_database_xact_commit{datname=\"app\"} 7\n", om);
        string text = Exposition.Text(store);
        Assert.Contains("# TYPE jobs_total counter\njobs_total 3\n", text);
        Assert.Contains("# TYPE pg_stat_database_xact_commit counter\n", text);
    }

    [Fact]
    public void Histogram_IsCumulativeWithInfEqualToCount_AndCanonicalBounds()
    {
        var store = new SeriesStore();
        var h = store.Histogram("d_seconds", "D.", [0.1, 1, 10], [new("kind", "http")]);
        h.Observe(0.05);
        h.Observe(0.5);
        h.Observe(5);
        h.Observe(50);
        Assert.Equal(
            "# HELP d_seconds D.\n# TYPE d_seconds histogram\n"
            + "d_seconds_bucket{kind=\"http\",le=\"0.1\"} 1\n"
            + "d_seconds_bucket{kind=\"http\",le=\"1.0\"} 2\n"
            + "d_seconds_bucket{kind=\"http\",le=\"10.0\"} 3\n"
            + "d_seconds_bucket{kind=\"http\",le=\"+Inf\"} 4\n"
            + "d_seconds_sum{kind=\"http\"} 55.55\n"
            + "d_seconds_count{kind=\"http\"} 4\n",
            Exposition.Text(store));
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-7, "1E-07")]
    [InlineData(-3, "-3")]
    [InlineData(1795314649.135, "1795314649.135")]
    [InlineData(123456789012345678, "1.2345678901234568E+17")]
    [InlineData(5e14, "500000000000000")]
    public void Values_UseShortestRoundTripAndPrometheusSpecials(double value, string expected)
    {
        var store = new SeriesStore();
        store.Gauge("v", "V.", []).Set(value);
        Assert.Equal(expected, Exposition.Samples(store)["v"]);
        if (!double.IsNaN(value))
        {
            Assert.Equal(value, double.Parse(expected.Replace("Inf", "Infinity", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Families_AreSortedContiguous_EmptyFamiliesOmitted()
    {
        var store = new SeriesStore();
        var scopeB = new SeriesScope(store, "b", new Dictionary<string, string> { ["team"] = "x" });
        var scopeA = new SeriesScope(store, "a", new Dictionary<string, string>());
        scopeB.Gauge("probe_success", "S.").Set(1);
        scopeA.Gauge("probe_duration_seconds", "D.").Set(0.5);
        scopeA.Gauge("probe_success", "S.").Set(0);
        store.Gauge("zz_empty", "E.", [new("a", "b")]);
        SeriesStore.Remove(store.Find("zz_empty")!.Snapshot[0]);
        string text = Exposition.Text(store);
        Assert.Equal(
            "# HELP probe_duration_seconds D.\n# TYPE probe_duration_seconds gauge\nprobe_duration_seconds{check=\"a\"} 0.5\n"
            + "# HELP probe_success S.\n# TYPE probe_success gauge\nprobe_success{check=\"b\",team=\"x\"} 1\nprobe_success{check=\"a\"} 0\n",
            text);
        scopeB.Dispose();
        Assert.DoesNotContain("check=\"b\"", Exposition.Text(store));
    }

    [Fact]
    public void Scope_SeriesLabelWinsOverCheckLabel()
    {
        var store = new SeriesStore();
        var scope = new SeriesScope(store, "disk", new Dictionary<string, string> { ["device"] = "configured", ["team"] = "ops" });
        scope.Gauge("node_filesystem_size_bytes", "S.", new Label("device", "/dev/sda1")).Set(1);
        Assert.Contains("node_filesystem_size_bytes{check=\"disk\",team=\"ops\",device=\"/dev/sda1\"} 1", Exposition.Text(store));
    }

    [Fact]
    public void Scope_AfterDispose_CreatesNoVisibleSeries()
    {
        var store = new SeriesStore();
        var scope = new SeriesScope(store, "gone", new Dictionary<string, string>());
        scope.Dispose();
        scope.Gauge("late_gauge", "L.").Set(1);
        Assert.DoesNotContain("late_gauge{", Exposition.Text(store));
    }

    [Fact]
    public async Task WriteAsync_MatchesSyncWriter_ForLargeStores()
    {
        var store = new SeriesStore();
        for (int i = 0; i < 5000; i++)
        {
            store.Gauge("many", "M.", [new("i", i.ToString(System.Globalization.CultureInfo.InvariantCulture))]).Set(i);
        }

        using var stream = new MemoryStream();
        var pipe = System.IO.Pipelines.PipeWriter.Create(stream);
        await ExpositionWriter.WriteAsync(pipe, store, ExpositionFormat.OpenMetrics100, CancellationToken.None);
        await pipe.CompleteAsync();
        Assert.Equal(Exposition.Text(store, ExpositionFormat.OpenMetrics100), System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}

public class SampleCacheTests
{
    [Fact]
    public async Task Write_ConcurrentScrapesAndUpdates_NeverTearALine()
    {
        var store = new SeriesStore();
        var samples = Enumerable.Range(0, 200).Select(i => store.Gauge("g", "G.", [new("i", i.ToString(System.Globalization.CultureInfo.InvariantCulture))])).ToArray();
        double[] values = [0.1, 12345.678901, double.NaN, 1e-9, 42, double.PositiveInfinity, 3.141592653589793];
        var allowed = new HashSet<string>(values.Select(v => v switch
        {
            double.NaN => "NaN",
            double.PositiveInfinity => "+Inf",
            _ => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        }));
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var random = new Random(1);
            while (!stop.IsCancellationRequested)
            {
                samples[random.Next(samples.Length)].Set(values[random.Next(values.Length)]);
            }
        });
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            for (int round = 0; round < 300; round++)
            {
                foreach (string line in Exposition.Text(store).Split('\n').Where(l => l.StartsWith("g{", StringComparison.Ordinal)))
                {
                    string value = line[(line.LastIndexOf(' ') + 1)..];
                    Assert.Matches("^g\\{i=\"\\d+\"\\} ", line);
                    Assert.True(allowed.Contains(value) || value == "0", $"torn or unexpected line: {line}");
                }
            }
        })).ToArray();
        await Task.WhenAll(readers);
        await stop.CancelAsync();
        await writer;
    }

    [Theory]
    [InlineData(-1.7976931348623157E+308)]
    [InlineData(-2.2250738585072014E-308)]
    [InlineData(-4.9406564584124654E-324)]
    [InlineData(-1.2345678901234567E-05)]
    [InlineData(-1234567890123456.7)]
    public void Write_LongestValues_FitTheLineAndComeBackFromTheCache(double value)
    {
        var store = new SeriesStore();
        store.Gauge("g", "G.", []).Set(value);
        string first = Exposition.Samples(store)["g"];
        Assert.Equal(first, Exposition.Samples(store)["g"]);
        Assert.Equal(value, double.Parse(first, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void FormatValue_AnyDouble_FitsTheTwentyFourBytesASampleKeeps()
    {
        var random = new Random(7);
        Span<byte> bits = stackalloc byte[8];
        Span<byte> destination = stackalloc byte[24];
        for (int i = 0; i < 200_000; i++)
        {
            random.NextBytes(bits);
            double value = BitConverter.ToDouble(bits);
            int written = ExpositionText.FormatValue(destination, value);
            string text = System.Text.Encoding.ASCII.GetString(destination[..written]);
            Assert.True(written > 0 && (double.IsNaN(value) || double.IsInfinity(value) || double.Parse(text, System.Globalization.CultureInfo.InvariantCulture) == value), $"{value:R} → {text}");
        }
    }

    [Fact]
    public void Store_TheSameLabelsInAnyOrder_AreOneSeries_AndASampleNameMakesAnother()
    {
        var store = new SeriesStore();
        var ab = store.Gauge("g", "G.", [new("a", "1"), new("b", "2")]);
        Assert.Same(ab, store.Gauge("g", "G.", [new("b", "2"), new("a", "1")]));
        Assert.NotSame(ab, store.Gauge("g", "G.", [new("a", "1"), new("b", "3")]));
        Assert.NotSame(ab, store.Gauge("g", "G.", [new("a", "1")]));
        Assert.NotSame(ab, store.Gauge("g", "G.", [new("a", "1"), new("c", "2")]));

        var family = store.Find("g")!;
        var bucket = SeriesStore.GetSample(family, "g_bucket", [new("a", "1"), new("b", "2")]);
        Assert.NotSame(ab, bucket);
        Assert.Same(ab, SeriesStore.GetSample(family, "g", [new("b", "2"), new("a", "1")]));
        Assert.Same(bucket, SeriesStore.GetSample(family, "g_bucket", [new("b", "2"), new("a", "1")]));
        Assert.True(family.Contains([new("b", "2"), new("a", "1")]));
        Assert.True(family.Contains([new("a", "1"), new("b", "2")], "g_bucket"));
        Assert.False(family.Contains([new("a", "1"), new("b", "2")], "g_sum"));
        Assert.Equal(5, family.Count);
    }

    [Fact]
    public void Store_ARemovedSeries_IsRestoredUnlessANewOneTookItsPlace()
    {
        var store = new SeriesStore();
        var first = store.Gauge("g", "G.", [new("a", "1")]);
        Assert.True(SeriesStore.Remove(first));
        Assert.False(SeriesStore.Remove(first));
        Assert.Same(first, first.Family.Restore(first));
        Assert.Same(first, store.Gauge("g", "G.", [new("a", "1")]));

        SeriesStore.Remove(first);
        var second = store.Gauge("g", "G.", [new("a", "1")]);
        Assert.NotSame(first, second);
        Assert.Same(second, first.Family.Restore(first));
        Assert.False(SeriesStore.Remove(first));
        Assert.Equal([second], first.Family.Snapshot);
    }

    [Fact]
    public void Write_ValueChangedAfterCaching_WritesTheNewValue()
    {
        var store = new SeriesStore();
        var g = store.Gauge("g", "G.", []);
        g.Set(1.5);
        Assert.Equal("1.5", Exposition.Samples(store)["g"]);
        Assert.Equal("1.5", Exposition.Samples(store)["g"]);
        g.Set(0.25);
        Assert.Equal("0.25", Exposition.Samples(store)["g"]);
        g.Set(1.5);
        Assert.Equal("1.5", Exposition.Samples(store)["g"]);
    }
}
