using Monitor.Checks.Scrape;
using Monitor.Metrics;

namespace Monitor.Tests.Checks.Scrape;

public class ExpositionParserTests
{
    [Fact]
    public void Parse_Text004_FamiliesTypesEscapesAndHistograms()
    {
        var families = ExpositionParser.Parse("""
            # HELP http_requests_total Requests \\ with "quotes"\nsecond line
            # TYPE http_requests_total counter
            http_requests_total{method="get",path="/a\"b\\c\nd"} 1027 1395066363000
            http_requests_total{method="post"} 3
            # a plain comment
            # TYPE rpc_seconds histogram
            rpc_seconds_bucket{le="0.1"} 1
            rpc_seconds_bucket{le="+Inf"} 4
            rpc_seconds_sum 1.5e-3
            rpc_seconds_count 4
            untyped_thing -Inf
              
            """, openMetrics: false);
        Assert.Equal(["http_requests_total", "rpc_seconds", "untyped_thing"], families.Select(f => f.Name));
        Assert.Equal(MetricType.Counter, families[0].Type);
        Assert.Equal("Requests \\ with \"quotes\"\nsecond line", families[0].Help);
        Assert.Equal("/a\"b\\c\nd", families[0].Samples[0].Labels[1].Value);
        Assert.Equal(1027, families[0].Samples[0].Value);
        Assert.Equal(MetricType.Histogram, families[1].Type);
        Assert.Equal(["rpc_seconds_bucket", "rpc_seconds_bucket", "rpc_seconds_sum", "rpc_seconds_count"], families[1].Samples.Select(s => s.Name));
        Assert.Equal(0.0015, families[1].Samples[2].Value);
        Assert.Equal(MetricType.Unknown, families[2].Type);
        Assert.Equal(double.NegativeInfinity, families[2].Samples[0].Value);
    }

    [Fact]
    public void Parse_OpenMetrics_CountersGetTotal_CreatedAndExemplarsSkipped()
    {
        var families = ExpositionParser.Parse("""
            # HELP jobs Jobs done.
            # TYPE jobs counter
            jobs_total{kind="a"} 5 # {trace_id="abc"} 1 1700000000.1
            jobs_created{kind="a"} 1700000000
            # TYPE temp gauge
            # UNIT temp celsius
            temp 21.5
            # EOF

            """.TrimEnd('\n') + "\n", openMetrics: true);
        Assert.Equal("jobs_total", families[0].Name);
        Assert.Equal(MetricType.Counter, families[0].Type);
        Assert.Equal("jobs_total", Assert.Single(families[0].Samples).Name);
        Assert.Equal(21.5, Assert.Single(families[1].Samples).Value);
    }

    [Theory]
    [InlineData("x 1\n", true, 2, 1, "missing # EOF")]
    [InlineData("x{a=\"b} 1\n", false, 1, 10, "unterminated label value")]
    [InlineData("x{a=\"\\q\"} 1\n", false, 1, 7, "invalid escape \\q")]
    [InlineData("x{a=\"1\",a=\"2\"} 1\n", false, 1, 9, "duplicate label \"a\"")]
    [InlineData("x one\n", false, 1, 3, "invalid value \"one\"")]
    [InlineData("x{} 1 soon\n", false, 1, 7, "invalid timestamp \"soon\"")]
    [InlineData("# TYPE x bogus\nx 1\n", false, 1, 9, "invalid metric type \"bogus\"")]
    [InlineData("1x 2\n", false, 1, 1, "invalid metric name")]
    [InlineData("x 1\n# EOF\nmore 2\n", true, 3, 1, "content after # EOF")]
    [InlineData("x 1 # {a=\"b\"} 1\n", false, 1, 5, "exemplars are only allowed in OpenMetrics")]
    public void Parse_Malformed_NamesLineAndColumn(string text, bool openMetrics, int line, int column, string message)
    {
        var e = Assert.Throws<ExpositionParseException>(() => ExpositionParser.Parse(text, openMetrics));
        Assert.Contains(message, e.Message);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    /// <summary>Arbitrary bytes and mutations of valid input: the parser's own error, or a result — nothing else.</summary>
    [Fact]
    public void Parse_Fuzz_NeverThrowsAnythingButItsOwnError()
    {
        string valid = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\",y=\"a\\\\b\"} 3 123\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n# EOF\n";
        const string alphabet = "{}=\",\\ #\n\tabcHELPTYPE_0123456789.+-eEInfNa:\r\u00e9\u0000";
        var random = new Random(20261122);
        for (int round = 0; round < 20_000; round++)
        {
            string input;
            if (round % 2 == 0)
            {
                var chars = valid.ToCharArray();
                int mutations = random.Next(1, 6);
                for (int m = 0; m < mutations; m++)
                {
                    chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
                }

                input = new string(chars);
            }
            else
            {
                var bytes = new byte[random.Next(0, 120)];
                random.NextBytes(bytes);
                input = System.Text.Encoding.UTF8.GetString(bytes);
            }

            foreach (bool openMetrics in new[] { false, true })
            {
                try
                {
                    ExpositionParser.Parse(input, openMetrics);
                }
                catch (ExpositionParseException)
                {
                }
            }
        }
    }

    /// <summary>
    /// The byte lexer against the string line parser it stands in for: on mutations of valid input (escapes,
    /// spaces, exemplars, timestamps, NaN/Inf, non-ASCII), the same families, names, labels and values, or the
    /// same error at the same line and column.
    /// </summary>
    [Fact]
    public void Parse_Lexer_AgreesWithTheStringLineParser()
    {
        string[] seeds =
        [
            "# HELP a_total A \\ \"q\".\n# TYPE a_total counter\na_total{x=\"1\",y=\"a\\\\b\\\"c\\nd\"} 3 123\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n# EOF\n",
            "# TYPE jobs counter\njobs_total{k=\"\u00e9t\u00e9\"} 5 # {trace_id=\"a\"} 1 1.5\njobs_created 1.7e9\n# TYPE g gauge\ng NaN\ng{a=\"\"} -Inf 17\n# EOF\n",
            "x{ a = \"1\" , b=\"2\", } \t +Inf \t 1e3  \ny{} .5e-3\nz{a=\"\u4e2d\"} -0 \r\n# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n",
        ];
        const string alphabet = "{}=\",\\ #\n\tabcn_0123456789.+-eEINfa:\r\u00e9\u00a0\u2003\u0000";
        var random = new Random(20261202);
        for (int round = 0; round < 30_000; round++)
        {
            var chars = seeds[round % seeds.Length].ToCharArray();
            int mutations = random.Next(0, 4);
            for (int m = 0; m < mutations; m++)
            {
                chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            }

            byte[] input = System.Text.Encoding.UTF8.GetBytes(chars);
            foreach (bool openMetrics in new[] { false, true })
            {
                Assert.Equal(Outcome(input, openMetrics, lexerDisabled: true), Outcome(input, openMetrics, lexerDisabled: false));
            }
        }
    }

    private static string Outcome(byte[] input, bool openMetrics, bool lexerDisabled)
    {
        try
        {
            var families = ExpositionParser.Parse(input, openMetrics, lexerDisabled);
            return string.Join("\n", families.Select(f => $"{f.Name} {f.Type} {f.Help}: " + string.Join("; ", f.Samples.Select(s =>
                s.Name + "{" + string.Join(",", s.Labels.Select(l => $"{l.Name}={l.Value}")) + "} " + BitConverter.DoubleToInt64Bits(s.Value)))));
        }
        catch (ExpositionParseException e)
        {
            return e.Message;
        }
    }
}
