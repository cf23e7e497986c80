using System.Diagnostics;
using Monitor.Metrics;
using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Rules.PromQL;

/// <summary>
/// The parser and the evaluator on hostile input: mutations of the suite's expressions and random token
/// streams, bounded in count and in time. Every input either parses or fails with a PromQL error; whatever
/// parses evaluates or fails with one — never another exception, a hang or a stack overflow.
/// </summary>
public class ParserFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    private static MemoryStorage Storage()
    {
        var storage = new MemoryStorage();
        foreach (string name in new[] { "x", "http", "a", "b", "m", "v", "up" })
        {
            for (int i = 0; i < 3; i++)
            {
                var series = storage.GetOrAdd([new Label("__name__", name), new Label("i", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Label("job", i % 2 == 0 ? "api" : "db")]);
                for (int t = 0; t <= 3600; t += 60)
                {
                    series.Add(t * 1000L, (t / 60 * (i + 1)) % 17);
                }
            }
        }

        return storage;
    }

    private static void Exercise(string input, MemoryStorage storage, ref int parsed)
    {
        Expr expr;
        try
        {
            expr = Parser.Parse(input);
        }
        catch (PromQLException)
        {
            return;
        }

        parsed++;
        try
        {
            Evaluator.Query(expr, 1_800_000, storage, 60_000);
        }
        catch (PromQLException)
        {
        }
    }

    [Fact]
    public void Mutations_ParseOrFail_AndEvaluateOrFail_WithPromQLErrorsOnly()
    {
        var storage = Storage();
        var clock = Stopwatch.StartNew();
        int parsed = 0;
        int tried = 0;
        foreach (string input in PromQLMutations.Generate(seed: 20261201, count: 20_000))
        {
            var ex = Record.Exception(() => Exercise(input, storage, ref parsed));
            Assert.True(ex is null, $"{input}: {ex}");
            tried++;
            if (clock.Elapsed > Budget)
            {
                break;
            }
        }

        Assert.True(tried >= 1000, $"only {tried} inputs in {Budget}");
        Assert.True(parsed > tried / 20, $"{parsed} of {tried} parsed: the mutations should leave some valid");
    }

    [Fact]
    public void RandomTokenStreams_NeverCrash()
    {
        string[] words =
        [
            "(", ")", "[", "]", "{", "}", ",", ":", "=", "==", "!=", "=~", "!~", "<", ">=", "+", "-", "*", "/", "%", "^", "@",
            "x", "sum", "by", "without", "on", "ignoring", "group_left", "bool", "offset", "and", "or", "unless", "atan2",
            "rate", "topk", "count_values", "label_join", "start", "end", "5m", "1", "0x1", "inf", "\"a\"", "'b'", "`c`",
            "#", "\n", " ", "\"", "'", "\\", "é", "\u0000", "\ud800",
        ];
        var storage = Storage();
        var rnd = new Random(7);
        var clock = Stopwatch.StartNew();
        int parsed = 0;
        for (int i = 0; i < 10_000 && clock.Elapsed < Budget; i++)
        {
            int n = 1 + rnd.Next(40);
            string input = string.Concat(Enumerable.Range(0, n).Select(_ => words[rnd.Next(words.Length)] + (rnd.Next(3) == 0 ? " " : string.Empty)));
            var ex = Record.Exception(() => Exercise(input, storage, ref parsed));
            Assert.True(ex is null, $"{input}: {ex}");
        }
    }

    [Fact]
    public void DeeplyNestedValidExpressions_Evaluate()
    {
        var storage = Storage();
        string nested = new string('(', Parser.MaxDepth - 1) + "x" + new string(')', Parser.MaxDepth - 1);
        Assert.Equal(3, Assert.IsType<List<PromSample>>(Evaluator.Query(Parser.Parse(nested), 1_800_000, storage, 60_000)).Count);
        string functions = string.Concat(Enumerable.Repeat("abs(", 120)) + "x" + new string(')', 120);
        Assert.Equal(3, Assert.IsType<List<PromSample>>(Evaluator.Query(Parser.Parse(functions), 1_800_000, storage, 60_000)).Count);
    }

    /// <summary>
    /// <c>x[290y:1ms]</c> has 9e12 steps though only an hour holds samples: the query ends at its deadline with
    /// Prometheus' timeout error (its --query.timeout, 2 m by default) instead of running practically forever.
    /// </summary>
    [Fact]
    public void HugeSubquery_EndsAtTheQueryDeadline_WithPrometheusTimeoutError()
    {
        var storage = Storage();
        var error = Assert.Throws<PromQLException>(() => Evaluator.Query(Parser.Parse("max_over_time(x[290y:1ms])"), 1_800_000, storage, 60_000, timeout: TimeSpan.FromMilliseconds(300)));
        Assert.Equal("query timed out in expression evaluation", error.Message);
    }
}
