using Monitor.Rules.PromQL;

namespace Monitor.Tests.Rules.PromQL;

public class ParserTests
{
    private static string Shape(Expr e) => e switch
    {
        NumberLiteral n => n.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        VectorSelector v => v.Name ?? "{}",
        MatrixSelector m => $"{Shape(m.Selector)}[{m.Range.TotalSeconds}s]",
        Binary b => $"({Shape(b.Lhs)} {b.Op}{(b.ReturnBool ? " bool" : string.Empty)}{(b.Matching is { } mt ? $" {(mt.On ? "on" : "ignoring")}({string.Join(",", mt.MatchingLabels)}){mt.Cardinality}({string.Join(",", mt.Include)})" : string.Empty)} {Shape(b.Rhs)})",
        Unary u => $"(-{Shape(u.Inner)})",
        Paren p => Shape(p.Inner),
        Call c => $"{c.Function.Name}({string.Join(", ", c.Args.Select(Shape))})",
        Aggregate a => $"{a.Op}{(a.Without ? " without" : " by")}({string.Join(",", a.Grouping)})({Shape(a.Inner)})",
        _ => e.ToString(),
    };

    [Theory]
    [InlineData("a + b * c", "(a Add (b Mul c))")]
    [InlineData("a * b + c", "((a Mul b) Add c)")]
    [InlineData("a - b - c", "((a Sub b) Sub c)")]
    [InlineData("2 ^ 3 ^ 2", "(2 Pow (3 Pow 2))")]
    [InlineData("-a ^ 2", "(-(a Pow 2))")]
    [InlineData("-2 * 3", "(-2 Mul 3)")]
    [InlineData("a > 1 and b < 2 or c", "(((a Gtr 1) And (b Lss 2)) Or c)")]
    [InlineData("a or b unless c", "(a Or (b Unless c))")]
    [InlineData("a + b > bool c", "((a Add b) Gtr bool c)")]
    [InlineData("a / on(x, y) group_left(z) b", "(a Div on(x,y)ManyToOne(z) b)")]
    [InlineData("a * ignoring(code) group_right b", "(a Mul ignoring(code)OneToMany() b)")]
    [InlineData("sum by (job) (rate(x[5m]))", "sum by(job)(rate(x[300s]))")]
    [InlineData("sum(rate(x[5m])) without (instance)", "sum without(instance)(rate(x[300s]))")]
    [InlineData("histogram_quantile(0.9, sum by (le) (rate(x_bucket[1h])))", "histogram_quantile(0.9, sum by(le)(rate(x_bucket[3600s])))")]
    [InlineData("(a + b) * c", "((a Add b) Mul c)")]
    public void Parse_Precedence(string input, string expected) => Assert.Equal(expected, Shape(Parser.Parse(input)));

    [Fact]
    public void Parse_Selector_CollectsMatchers()
    {
        var v = Assert.IsType<VectorSelector>(Parser.Parse("http_requests_total{job=\"api\", code!=\"200\", path=~\"/v1/.*\", method!~'GET|HEAD'}"));
        Assert.Equal(["__name__", "job", "code", "path", "method"], v.Matchers.Select(m => m.Name));
        Assert.Equal([MatcherType.Equal, MatcherType.Equal, MatcherType.NotEqual, MatcherType.Regex, MatcherType.NotRegex], v.Matchers.Select(m => m.Type));
        Assert.True(v.Matchers[3].Matches("/v1/users"));
        Assert.False(v.Matchers[3].Matches("x/v1/users")); // anchored
    }

    [Theory]
    [InlineData("sum(rate(x[5m]) by (job)", 16, "unexpected \"by\"")]
    [InlineData("rate(x)", 5, "expected type range vector in call to function \"rate\", got instant vector")]
    [InlineData("topk(3, x)", 0, "aggregation \"topk\" is not supported")]
    [InlineData("x offset 5m", 2, "offset modifiers are not supported")]
    [InlineData("rate(x[5m:1m])", 9, "subqueries are not supported")]
    [InlineData("label_replace(x, \"a\", \"b\", \"c\", \"d\")", 0, "function \"label_replace\" is not supported")]
    [InlineData("{job=~\".*\"}", 0, "vector selector must contain at least one non-empty matcher")]
    [InlineData("1 > 2", 2, "comparisons between scalars must use BOOL modifier")]
    [InlineData("x and 1", 2, "set operator \"and\" not allowed in binary scalar expression")]
    [InlineData("x{a=\"b\"", 7, "expected \"}\" or \",\"")]
    [InlineData("x[5x]", 2, "invalid duration \"5x\"")]
    [InlineData("rate(x[5m]", 10, "expected \")\" or \",\"")]
    [InlineData("x{a=~\"(\"}", 5, "invalid regular expression")]
    [InlineData("sum(x) by (1a)", 11, "unexpected \"1\"")]
    public void Parse_Errors_CarryThePosition(string input, int position, string message)
    {
        var e = Assert.Throws<PromQLException>(() => Parser.Parse(input));
        Assert.Contains(message, e.Message);
        Assert.Equal(position, e.Position);
    }
}
