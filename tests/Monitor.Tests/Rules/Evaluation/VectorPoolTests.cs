using Monitor.Metrics;
using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;

namespace Monitor.Tests.Rules.Evaluation;

public class VectorPoolTests
{
    [Fact]
    public void Vector_HandsOutTheSmallestIdleListWithRoom_ElseTheLargest()
    {
        var pool = new VectorPool();
        var small = new List<PromSample>(4);
        var large = new List<PromSample>(10_000);
        pool.Return(small);
        pool.Return(large);

        Assert.Same(large, pool.Vector(5_000));
        Assert.Same(small, pool.Vector());
        var grown = new List<PromSample>(8);
        pool.Return(grown);
        var taken = pool.Vector(100);
        Assert.Same(grown, taken);
        Assert.True(taken.Capacity >= 100);
        Assert.Empty(taken);
    }

    [Fact]
    public void Return_TwiceOrOversized_NeverHandsOneListOutTwice()
    {
        var pool = new VectorPool();
        var list = new List<PromSample> { new([], 1, 2) };
        pool.Return(list);
        pool.Return(list);
        Assert.Same(list, pool.Vector());
        Assert.NotSame(list, pool.Vector());

        var huge = new List<PromSample>((1 << 16) + 1);
        pool.Return(huge);
        Assert.NotSame(huge, pool.Vector((1 << 16) + 1));
    }

    private static MemoryStorage Storage()
    {
        var storage = new MemoryStorage();
        for (int i = 0; i < 30; i++)
        {
            var up = storage.GetOrAdd([new(LabelSet.MetricName, "up"), new("instance", $"i{i}"), new("job", i % 3 == 0 ? "a" : "b")]);
            var requests = storage.GetOrAdd([new(LabelSet.MetricName, "requests_total"), new("instance", $"i{i}"), new("job", i % 3 == 0 ? "a" : "b")]);
            for (int m = 0; m <= 20; m++)
            {
                up.Add(m * 60_000L, (i + m) % 4 == 0 ? 0 : 1);
                requests.Add(m * 60_000L, (i + 1) * m * 10.0);
            }
        }

        return storage;
    }

    private static readonly string[] ExpressionTexts =
    [
        "up == 0",
        "up == 0 and on(instance) rate(requests_total[5m]) > 1",
        "up or on(instance) requests_total",
        "requests_total unless on(instance) up == 0",
        "sum by (job) (rate(requests_total[5m]))",
        "topk(3, requests_total)",
        "-requests_total",
        "requests_total / on(instance) group_left up",
        "max_over_time(up[10m]) - min_over_time(up[10m])",
        "absent_over_time(nothing[5m])",
        "absent(up{job=\"c\"})",
        "avg_over_time((up == 0)[10m:1m])",
        "count_values(\"v\", up)",
        "sort_desc(requests_total)",
        "timestamp(up) - time()",
        "scalar(sum(up)) * 2",
        "label_replace(up, \"host\", \"$1\", \"instance\", \"i(.*)\")",
    ];

    public static TheoryData<string> Expressions() => [.. ExpressionTexts];

    /// <summary>
    /// Rules evaluated one after another with one pool, their vectors handed back after each, give exactly what
    /// each gives alone with a pool of its own: no vector is used again while something still holds it.
    /// </summary>
    [Theory]
    [MemberData(nameof(Expressions))]
    public void Query_WithAPoolSharedAcrossRules_GivesWhatAFreshPoolGives(string expression)
    {
        var storage = Storage();
        var exprs = ExpressionTexts.Select(e => Parser.Parse(e)).ToList();
        var target = Parser.Parse(expression);
        var expected = Evaluator.QueryVector(target, 15 * 60_000, storage, 60_000).Select(Text).ToList();

        var pool = new VectorPool();
        for (int round = 0; round < 3; round++)
        {
            foreach (var other in exprs)
            {
                pool.Return(Evaluator.QueryVector(other, 15 * 60_000, storage, 60_000, pool));
            }

            var got = Evaluator.QueryVector(target, 15 * 60_000, storage, 60_000, pool);
            Assert.Equal(expected, got.Select(Text).ToList());
            pool.Return(got);
        }
    }

    private static string Text(PromSample s) => $"{Evaluator.Format(s.Metric)} {s.T} {s.V:R}";
}
