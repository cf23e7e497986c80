using System.Text.Json;
using Monitor.Rules.PromQL;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Rules.PromQL;

public class ParserTests
{
    private static string Shape(Expr e) => e switch
    {
        NumberLiteral n => n.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        StringLiteral s => $"\"{s.Value}\"",
        VectorSelector v => (v.Name.Length > 0 ? v.Name : "{}") + Modifiers(v),
        MatrixSelector m => $"{Shape(m.Selector)}[{m.RangeMs / 1000}s]",
        SubqueryExpr s => $"{Shape(s.Inner)}[{s.RangeMs / 1000}s:{s.StepMs / 1000}s]{Modifiers(s)}",
        BinaryExpr b => $"({Shape(b.Lhs)} {b.Op}{(b.ReturnBool ? " bool" : string.Empty)}{(b.Matching is { } mt && (mt.MatchingLabels.Count > 0 || mt.On || mt.Card is Cardinality.ManyToOne or Cardinality.OneToMany) ? $" {(mt.On ? "on" : "ignoring")}({string.Join(",", mt.MatchingLabels)}){mt.Card}({string.Join(",", mt.Include)})" : string.Empty)} {Shape(b.Rhs)})",
        UnaryExpr u => $"({(u.Op == ItemType.Sub ? "-" : "+")}{Shape(u.Inner)})",
        ParenExpr p => Shape(p.Inner),
        Call c => $"{c.Function.Name}({string.Join(", ", c.Args.Select(Shape))})",
        AggregateExpr a => $"{a.Op}{(a.Without ? " without" : " by")}({string.Join(",", a.Grouping)})({(a.Param is { } p ? Shape(p) + ", " : string.Empty)}{Shape(a.Inner)})",
        StepInvariantExpr { Inner: NumberLiteral or StringLiteral } si => Shape(si.Inner),
        StepInvariantExpr si when si.Inner is BinaryExpr { Type: PromType.Scalar } => Shape(si.Inner),
        StepInvariantExpr si => $"invariant[{Shape(si.Inner)}]",
        _ => e.ToString() ?? string.Empty,
    };

    private static string Modifiers(IModified m) =>
        (m.OriginalOffset != 0 ? $" offset {m.OriginalOffset / 1000}s" : string.Empty)
        + m.At switch { AtKind.Timestamp => $" @{m.AtTimestamp}", AtKind.Start => " @start", AtKind.End => " @end", _ => string.Empty };

    [Theory]
    [InlineData("a + b * c", "(a Add (b Mul c))")]
    [InlineData("a * b + c", "((a Mul b) Add c)")]
    [InlineData("a - b - c", "((a Sub b) Sub c)")]
    [InlineData("2 ^ 3 ^ 2", "(2 Pow (3 Pow 2))")]
    [InlineData("-a ^ 2", "(-(a Pow 2))")]
    [InlineData("-2 * 3", "(-2 Mul 3)")]
    [InlineData("-a * b", "((-a) Mul b)")]
    [InlineData("a atan2 b + c", "((a Atan2 b) Add c)")]
    [InlineData("a > 1 and b < 2 or c", "(((a Gtr 1) LAnd (b Lss 2)) LOr c)")]
    [InlineData("a or b unless c", "(a LOr (b LUnless c))")]
    [InlineData("a + b > bool c", "((a Add b) Gtr bool c)")]
    [InlineData("a / on(x, y) group_left(z) b", "(a Div on(x,y)ManyToOne(z) b)")]
    [InlineData("a * ignoring(code) group_right b", "(a Mul ignoring(code)OneToMany() b)")]
    [InlineData("sum by (job) (rate(x[5m]))", "Sum by(job)(rate(x[300s]))")]
    [InlineData("SUM(rate(x[5m])) WITHOUT (instance)", "Sum without(instance)(rate(x[300s]))")]
    [InlineData("topk(3, x)", "Topk by()(3, x)")]
    [InlineData("count_values(\"v\", x)", "CountValues by()(\"v\", x)")]
    [InlineData("x offset 5m", "x offset 300s")]
    [InlineData("a + b offset 1m", "(a Add b offset 60s)")]
    [InlineData("x offset -5m", "x offset -300s")]
    [InlineData("rate(x[5m] offset 1d)", "rate(x offset 86400s[300s])")]
    [InlineData("x @ 100", "invariant[x @100000]")]
    [InlineData("rate(x[5m] @ end())", "invariant[rate(x @end[300s])]")]
    [InlineData("max_over_time(rate(x[5m])[1h:5m])", "max_over_time(rate(x[300s])[3600s:300s])")]
    [InlineData("x[10m:]", "x[600s:0s]")]
    [InlineData("time() - x @ 5", "(time() Sub invariant[x @5000])")]
    [InlineData("sum(by)", "Sum by()(by)")]
    [InlineData("0x1F + 017 + 1e3 + Inf", "(((31 Add 15) Add 1000) Add Infinity)")]
    [InlineData("(a + b) * c", "((a Add b) Mul c)")]
    public void Parse_Precedence_Modifiers_AndKeywords(string input, string expected) => Assert.Equal(expected, Shape(Parser.Parse(input)));

    [Fact]
    public void Parse_Selector_CollectsMatchers_NameLast()
    {
        var v = Assert.IsType<VectorSelector>(Parser.Parse("http_requests_total{job=\"api\", code!=\"200\", path=~\"/v1/.*\", method!~'GET|HEAD'}"));
        Assert.Equal(["job", "code", "path", "method", "__name__"], v.Matchers.Select(m => m.Name));
        Assert.Equal([MatcherType.Equal, MatcherType.NotEqual, MatcherType.Regex, MatcherType.NotRegex, MatcherType.Equal], v.Matchers.Select(m => m.Type));
        Assert.True(v.Matchers[2].Matches("/v1/users"));
        Assert.False(v.Matchers[2].Matches("x/v1/users")); // anchored
        Assert.False(v.Matchers[2].Matches("/v1/a\nb")); // "." is not a newline, as in RE2
    }

    public static TheoryData<string, string> PromtoolCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string line in File.ReadAllLines(Repository.File("tests/fixtures/promql/parse-errors.jsonl")))
        {
            var c = JsonSerializer.Deserialize<JsonElement>(line);
            data.Add(c.GetProperty("expr").GetString()!, c.GetProperty("error").GetString()!);
        }

        return data;
    }

    /// <summary>Each case's answer is what promtool 2.42 said about it (tests/fixtures/promql/generate-parse-errors.sh).</summary>
    [Theory]
    [MemberData(nameof(PromtoolCases))]
    public void Parse_AcceptsAndRejects_AsPrometheus_WithItsMessageAndPosition(string input, string promtool)
    {
        string got;
        try
        {
            Parser.Parse(input);
            got = "OK";
        }
        catch (PromQLException e)
        {
            got = e.ParseErrorText(input);
        }

        Assert.Equal(promtool, got);
    }

    [Fact]
    public void Parse_DeepNesting_IsAnError_NotAStackOverflow()
    {
        string parens = new string('(', 10_000) + "x" + new string(')', 10_000);
        var e = Assert.Throws<PromQLException>(() => Parser.Parse(parens));
        Assert.Contains("nested too deeply", e.Message);

        string chain = string.Join(" + ", Enumerable.Repeat("x", 100_000));
        e = Assert.Throws<PromQLException>(() => Parser.Parse(chain));
        Assert.Contains("nested too deeply", e.Message);

        string power = string.Join(" ^ ", Enumerable.Repeat("2", 100_000));
        Assert.Throws<PromQLException>(() => Parser.Parse(power));

        string unary = new string('-', 100_000) + "1";
        Assert.Throws<PromQLException>(() => Parser.Parse(unary));
    }

    [Theory]
    [InlineData("up{job=\"a\"} 1+2x3", "up{job=\"a\"}", "1 3 5 7")]
    [InlineData("x 5-1x2", "x", "5 4 3")]
    [InlineData("x 7x2", "x", "7 7 7")]
    [InlineData("x 1 _ 3", "x", "1 _ 3")]
    [InlineData("x _x3 4", "x", "_ _ _ 4")]
    [InlineData("x 1 stale", "x", "1 stale")]
    [InlineData("x -2+0.5x2 Inf -Inf", "x", "-2 -1.5 -1 +Inf -Inf")]
    [InlineData("{__name__=\"x\", a=\"b\"} 1", "x{a=\"b\"}", "1")]
    public void ParseSeriesDesc_ExpandsPromtoolNotation(string input, string series, string expected)
    {
        var (labels, values) = Parser.ParseSeriesDesc(input);
        string name = labels.FirstOrDefault(l => l.Name == "__name__").Value ?? string.Empty;
        var rest = labels.Where(l => l.Name != "__name__").Select(l => $"{l.Name}=\"{l.Value}\"").ToList();
        Assert.Equal(series, name + (rest.Count > 0 ? "{" + string.Join(",", rest) + "}" : string.Empty));
        var text = values.Select(v => v switch
        {
            { Omitted: true } => "_",
            { Value: var d } when Monitor.Rules.Evaluation.StoredSeries.IsStale(d) => "stale",
            { Value: var d } when double.IsPositiveInfinity(d) => "+Inf",
            { Value: var d } when double.IsNegativeInfinity(d) => "-Inf",
            { Value: var d } => d.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        Assert.Equal(expected, string.Join(" ", text));
    }

    [Theory]
    // The expected texts are promtool 2.42's for these input series.
    [InlineData("x 1 2 foo", "1:7: parse error: unexpected identifier \"foo\" in series values, expected number or \"stale\"")]
    [InlineData("x 1x", "1:5: parse error: unexpected end of input in series values")]
    [InlineData("x{a=~\"b\"} 1", "1:4: parse error: unexpected <op:=~> in label set, expected \"=\"")]
    [InlineData("x 1 2x3.5", "1:7: parse error: invalid repetition in series values: strconv.ParseUint: parsing \"3.5\": invalid syntax")]
    [InlineData("x 1+x2", "1:5: parse error: unexpected \"x\" in series values")]
    [InlineData("x _x", "1:5: parse error: unexpected end of input in series values")]
    [InlineData("x 1 - 2", "1:6: parse error: unexpected \" \" in series values")]
    public void ParseSeriesDesc_Errors_NameThePlace(string input, string expected)
    {
        var e = Assert.Throws<PromQLException>(() => Parser.ParseSeriesDesc(input));
        Assert.Equal(expected, e.ParseErrorText(input));
    }
}
