using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Monitor.IntegrationTests.TestSupport;

namespace Monitor.IntegrationTests.Rules.Testing;

/// <summary>
/// The evaluator against Prometheus 2.42's own: hundreds of random expressions — functions, aggregations,
/// operators with matching, offset, @, subqueries, nested — are evaluated by promtool and by monitor test-rules
/// over the same series, and every result (or error) must be the same. Inputs and expressions are chosen so that
/// Prometheus's own answer does not depend on the order it happens to hold series in (it differs between its
/// runs for topk ties and for float sums and means): values are integers, sum adds only integers, and
/// avg/stddev/stdvar/topk/bottomk/quantile/count_values are left to the hand-written suite.
/// </summary>
public sealed partial class EvaluationDifferentialTests
{
    private static readonly string[] InstantFunctions =
    [
        "abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn", "sin", "cos", "tan", "asin", "acos", "atan",
        "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "deg", "rad", "timestamp", "absent", "hour", "minute",
        "month", "year", "day_of_month", "day_of_week", "day_of_year", "days_in_month",
    ];

    private static readonly string[] RangeFunctions =
    [
        "rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets", "avg_over_time", "min_over_time",
        "max_over_time", "sum_over_time", "count_over_time", "last_over_time", "stddev_over_time", "stdvar_over_time",
        "absent_over_time", "present_over_time",
    ];

    private static readonly string[] IntegerRangeFunctions = ["changes", "resets", "count_over_time", "last_over_time", "max_over_time", "min_over_time"];

    private static readonly string[] Operators = ["+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", "atan2"];

    private sealed class Generator(int seed)
    {
        private readonly Random _rnd = new(seed);

        private T Pick<T>(params T[] items) => items[_rnd.Next(items.Length)];

        private bool Chance(double p) => _rnd.NextDouble() < p;

        private string Selector()
        {
            string s = Pick("x", "y", "c") + Pick(string.Empty, "{job=\"a\"}", "{i=~\"1|2\"}", "{job!=\"b\"}", "{i=\"3\"}");
            if (Chance(0.2))
            {
                s += " offset " + Pick("1m", "2m", "-1m", "30s");
            }

            if (Chance(0.1))
            {
                s += " @ " + Pick("300", "600", "start()", "end()");
            }

            return s;
        }

        private string RangeSelector()
        {
            string s = Pick("x", "y", "c") + Pick(string.Empty, "{job=\"a\"}", "{i=~\"1|2\"}") + "[" + Pick("1m", "2m", "3m", "5m", "90s", "10m") + "]";
            if (Chance(0.2))
            {
                s += " offset " + Pick("1m", "2m", "-1m");
            }

            if (Chance(0.1))
            {
                s += " @ " + Pick("300", "600", "end()");
            }

            return s;
        }

        private string Subquery(int depth)
        {
            string s = "(" + Expr(depth + 1) + ")[" + Pick("5m", "10m", "3m") + ":" + Pick(string.Empty, "1m", "30s", "2m") + "]";
            if (Chance(0.2))
            {
                s += " offset " + Pick("1m", "2m");
            }

            if (Chance(0.15))
            {
                s += " @ " + Pick("600", "end()");
            }

            return s;
        }

        private string Scalar(int depth) => _rnd.NextDouble() switch
        {
            < 0.5 => Pick("1", "2", "0.5", "3", "-1", "0", "10"),
            < 0.7 => "time()",
            < 0.85 => "scalar(" + Expr(depth + 1) + ")",
            _ => "(" + Scalar(depth + 1) + " " + Pick("+", "*", "-") + " " + Scalar(depth + 1) + ")",
        };

        /// <summary>An expression whose values are integers, for sums whose order cannot matter.</summary>
        private string IntegerExpr() => Chance(0.6)
            ? Selector()
            : Pick(IntegerRangeFunctions) + "(" + RangeSelector() + ")";

        public string Expr(int depth = 0)
        {
            double r = _rnd.NextDouble();
            if (depth > 3 || r < 0.25)
            {
                return Selector();
            }

            if (r < 0.4)
            {
                return Pick(InstantFunctions) + "(" + Expr(depth + 1) + ")";
            }

            if (r < 0.55)
            {
                return Pick(RangeFunctions) + "(" + (Chance(0.75) ? RangeSelector() : Subquery(depth)) + ")";
            }

            if (r < 0.7)
            {
                string op = Pick("sum", "min", "max", "count", "group");
                string grouping = Pick(string.Empty, " by (job)", " without (i)", " by (i, job)", " by ()");
                string inner = op == "sum" ? IntegerExpr() : Expr(depth + 1);
                return Chance(0.5) ? $"{op}{grouping} ({inner})" : $"{op} ({inner}){grouping}";
            }

            if (r < 0.88)
            {
                string op = Pick(Operators);
                string lhs = Expr(depth + 1);
                string rhs = Chance(0.6) ? Expr(depth + 1) : Scalar(depth + 1);
                if (Chance(0.5))
                {
                    (lhs, rhs) = (rhs, lhs);
                }

                string b = op is "==" or "!=" or ">" or "<" or ">=" or "<=" && Chance(0.4) ? " bool" : string.Empty;
                string matching = Chance(0.3) ? Pick(" on(i, job)", " ignoring(job)", " on(i)") : string.Empty;
                return $"({lhs} {op}{b}{matching} {rhs})";
            }

            if (r < 0.94)
            {
                return $"({Expr(depth + 1)} {Pick("and", "or", "unless")}{Pick(string.Empty, " on(i)", " ignoring(job)")} {Expr(depth + 1)})";
            }

            if (r < 0.97)
            {
                return $"clamp({Expr(depth + 1)}, {Scalar(depth + 1)}, {Scalar(depth + 1)})";
            }

            return $"round({Expr(depth + 1)}, {Pick("0.5", "2", "0.1")})";
        }
    }

    private static string TestFile(int seed, int count)
    {
        var sb = new StringBuilder("rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n");
        foreach (string name in new[] { "x", "y", "c" })
        {
            for (int i = 1; i <= 4; i++)
            {
                string job = i % 2 == 1 ? "a" : "b";
                string values = name switch
                {
                    "c" => $"{i * 3}+{i}x6 {i}+{i * 2}x8 _ {i * 5}+{i}x4",
                    "x" => $"{i * 7}-{i}x5 {i * 11}+{i * 3}x5 stale {i * 2}+1x8",
                    _ => $"{i * 100}+{i * 13}x20",
                };
                sb.Append(CultureInfo.InvariantCulture, $"      - series: '{name}{{i=\"{i}\",job=\"{job}\"}}'\n        values: '{values}'\n");
            }
        }

        sb.Append("    promql_expr_test:\n");
        var generator = new Generator(seed);
        var exprs = new SortedSet<string>(StringComparer.Ordinal);
        while (exprs.Count < count)
        {
            exprs.Add(generator.Expr());
        }

        foreach (string e in exprs)
        {
            foreach (string t in new[] { "13m", "20m" })
            {
                // An expectation that never holds, so both tools print what they got.
                sb.Append(CultureInfo.InvariantCulture, $"      - expr: {JsonSerializer.Serialize(e)}\n        eval_time: {t}\n        exp_samples: [{{labels: 'never', value: 12345}}]\n");
            }
        }

        return sb.ToString();
    }

    private static Dictionary<string, string> Results(string output)
    {
        // Errors go to stderr and the blank lines between them to stdout, so the streams interleave: drop blanks.
        output = Regex.Replace(output, @"\n\s*\n", "\n");
        var results = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in Got().Matches(output))
        {
            results[m.Groups[1].Value + " @ " + m.Groups[2].Value] = m.Groups[3].Value;
        }

        foreach (Match m in Err().Matches(output))
        {
            // The pair of series a many-to-many error names depends on the order series are held in.
            results[m.Groups[1].Value + " @ " + m.Groups[2].Value] = "error: " + Regex.Replace(m.Groups[3].Value, @": \[.*\];", ": [...];");
        }

        return results;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task RandomExpressions_GiveWhatPromtoolGives(int seed)
    {
        string dir = Tools.TempDirectory();
        string file = Path.Combine(dir, "random.test.yml");
        await File.WriteAllTextAsync(file, TestFile(seed, 300));
        var (_, promtoolOutput) = await ExternalProcess.RunAsync(Tools.Promtool, ["test", "rules", file]);
        var (_, monitorOutput) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "test-rules", file]);
        var promtool = Results(promtoolOutput);
        var monitor = Results(monitorOutput);
        Assert.Equal(600, promtool.Count);
        var differences = promtool.Where(kv => monitor.GetValueOrDefault(kv.Key) != kv.Value)
            .Select(kv => $"{kv.Key}\n  promtool: {kv.Value}\n  monitor:  {monitor.GetValueOrDefault(kv.Key, "(nothing)")}")
            .ToList();
        Assert.True(differences.Count == 0, $"{differences.Count} of {promtool.Count} differ:\n{string.Join("\n", differences.Take(15))}");
        Directory.Delete(dir, recursive: true);
    }

    [GeneratedRegex(@"(?m)^    expr: (.*), time: (\S+),\n        exp: .*\n        got: (.*)$")]
    private static partial Regex Got();

    [GeneratedRegex(@"(?m)^    expr: (.*), time: (\S+), err: (.*)$")]
    private static partial Regex Err();
}
