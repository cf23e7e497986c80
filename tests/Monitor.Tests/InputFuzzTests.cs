using System.Diagnostics;
using System.Text;
using Monitor.Checks.Gpu;
using Monitor.Checks.Scrape;
using Monitor.Hosting;
using Monitor.Rules.RuleFiles;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests;

/// <summary>
/// The parsers of untrusted text on mutated real inputs (seeded, so a failure replays; bounded in count and
/// time): configuration and rule files report errors and never throw, exposition text throws only
/// <see cref="ExpositionParseException"/>, nvidia-smi CSV reports errors and never throws. PromQL has its own
/// (Rules/PromQL/ParserFuzzTests).
/// </summary>
public class InputFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    /// <summary>Fragments that tend to break parsers: YAML structure and aliases, exposition syntax, CSV, odd characters.</summary>
    private static readonly string[] Fragments =
    [
        "\n", " ", "  ", "\t", ":", ": ", "- ", "[", "]", "{", "}", ",", "\"", "'", "\\", "#", "&a ", "*a", "<<: *a\n", "---\n",
        "!!binary ", "? ", "|\n", ">-\n", "${X}", "$$", "20000y", "0s", "-1", "1e999", "NaN", "+Inf", "-Inf", "9999999999999999999999",
        "le=\"", "quantile=", "_bucket", "_total", "# TYPE ", "# HELP ", "# EOF\n", " gauge\n", " histogram\n", "=\"", "\"}", "{a=\"b\"}",
        "[N/A]", " MiB", " W", " MHz", " %", ", ", "GPU-", "\r\n", "\u0000", "\ufeff", "é", "\ud800", "😀", "(a+)+b", "(?x)a#",
    ];

    private static IEnumerable<string> Mutations(string[] seeds, int seed, int count)
    {
        var rnd = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            var text = new StringBuilder(seeds[rnd.Next(seeds.Length)]);
            int edits = 1 + rnd.Next(6);
            for (int e = 0; e < edits; e++)
            {
                int at = text.Length == 0 ? 0 : rnd.Next(text.Length);
                int len = Math.Min(text.Length - at, 1 + rnd.Next(40));
                switch (rnd.Next(5))
                {
                    case 0:
                        text.Remove(at, len);
                        break;
                    case 1:
                        text.Insert(at, Fragments[rnd.Next(Fragments.Length)]);
                        break;
                    case 2:
                        text.Insert(at, text.ToString(at, len)); // duplicate a chunk
                        break;
                    case 3:
                        int to = rnd.Next(text.Length + 1);
                        string chunk = text.ToString(at, len);
                        text.Remove(at, len);
                        text.Insert(Math.Min(to, text.Length), chunk); // move a chunk
                        break;
                    default:
                        if (text.Length > 0)
                        {
                            text[at] = (char)rnd.Next(0x20, 0x7f); // overwrite a character
                        }

                        break;
                }
            }

            yield return text.ToString();
        }
    }

    private static void Fuzz(string[] seeds, int seed, int count, Action<string> parse)
    {
        var clock = Stopwatch.StartNew();
        int tried = 0;
        foreach (string input in Mutations(seeds, seed, count))
        {
            var ex = Record.Exception(() => parse(input));
            Assert.True(ex is null, $"input #{tried} (seed {seed}):\n{input}\n{ex}");
            tried++;
            if (clock.Elapsed > Budget)
            {
                break;
            }
        }

        Assert.True(tried >= Math.Min(count, 200), $"only {tried} inputs in {Budget}");
    }

    [Fact]
    public void ConfigFiles_Mutated_AreParsedOrReportErrors_NeverThrow()
    {
        string[] seeds =
        [
            File.ReadAllText(Repository.File("tests/Monitor.Tests/Configuration/spec-example.yaml")),
            File.ReadAllText(Repository.File("monitor.yaml")),
            "x-smtp: &smtp { host: mail, port: 587 }\nreceivers:\n  - name: m\n    email: { smtp: { <<: *smtp, port: 25 }, from: a@b.c, to: [d@e.f] }\n",
        ];
        Fuzz(seeds, 20261202, 20_000, text =>
            MonitorConfig.Parse(text, "monitor.yaml", name => name == "X" ? "v" : null, p => throw new FileNotFoundException(p)));
    }

    [Fact]
    public void RuleFiles_Mutated_AreLoadedOrReportErrors_NeverThrow()
    {
        string[] seeds = [.. Directory.GetFiles(Repository.File("alerts"), "*.yml").Select(File.ReadAllText)];
        Fuzz(seeds, 20261203, 10_000, text => RuleFileLoader.Parse(text, "r.yml"));
    }

    [Fact]
    public void ExpositionTexts_Mutated_ParseOrThrowOnlyParseErrors()
    {
        string[] seeds =
        [
            File.ReadAllText(Repository.Fixture("kubernetes", "kubelet/gpu-node-01-metrics.txt")),
            "# HELP rpc_seconds RPC.\n# TYPE rpc_seconds histogram\nrpc_seconds_bucket{le=\"0.5\"} 1\nrpc_seconds_bucket{le=\"+Inf\"} 2\nrpc_seconds_sum 0.7\nrpc_seconds_count 2\n"
                + "# TYPE q summary\nq{quantile=\"0.9\"} 1\nq_sum 2\nq_count 3\n# TYPE c counter\nc_total{a=\"x\\\"y\\\\n\"} 5 1700000000000\n",
            "# TYPE jobs counter\njobs_total 5 # {trace_id=\"a\"} 1 1.5\njobs_created 1.7e9\n# TYPE g gauge\ng NaN\n# EOF\n",
        ];
        foreach (bool openMetrics in new[] { false, true })
        {
            Fuzz(seeds, openMetrics ? 11 : 12, 20_000, text =>
            {
                try
                {
                    ExpositionParser.Parse(text, openMetrics);
                }
                catch (ExpositionParseException)
                {
                }
            });
        }
    }

    [Fact]
    public void NvidiaSmiOutputs_Mutated_AreParsedOrReportErrors_NeverThrow()
    {
        string[] seeds =
        [
            File.ReadAllText(Repository.Fixture("nvidia-smi", "nvidia-smi-2xH100.csv")),
            File.ReadAllText(Repository.Fixture("nvidia-smi", "nvidia-smi-2xH100.noheader-nounits.csv")),
        ];
        Fuzz(seeds, 20261204, 20_000, text => NvidiaSmiCsv.Parse(text));
    }
}
