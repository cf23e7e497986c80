using System.Text.RegularExpressions;

namespace Monitor.Rules.PromQL;

internal enum PromType
{
    Scalar,
    Vector,
    Matrix,
    String,
}

internal enum MatcherType
{
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

/// <summary>A label matcher; regexes are fully anchored, as in Prometheus.</summary>
internal sealed record LabelMatcher(string Name, MatcherType Type, string Value)
{
    private readonly Regex? _regex = Type is MatcherType.Regex or MatcherType.NotRegex
        ? new Regex($"^(?:{Value})$", RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1))
        : null;

    /// <summary>Whether a label value (empty when the label is absent) matches.</summary>
    public bool Matches(string value) => Type switch
    {
        MatcherType.Equal => value == Value,
        MatcherType.NotEqual => value != Value,
        MatcherType.Regex => _regex!.IsMatch(value),
        _ => !_regex!.IsMatch(value),
    };
}

internal enum BinaryOp
{
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eql,
    Neq,
    Gtr,
    Lss,
    Gte,
    Lte,
    And,
    Or,
    Unless,
}

internal static class BinaryOpExtensions
{
    public static bool IsComparison(this BinaryOp op) => op is BinaryOp.Eql or BinaryOp.Neq or BinaryOp.Gtr or BinaryOp.Lss or BinaryOp.Gte or BinaryOp.Lte;

    public static bool IsSet(this BinaryOp op) => op is BinaryOp.And or BinaryOp.Or or BinaryOp.Unless;
}

internal enum Cardinality
{
    OneToOne,
    ManyToOne,
    OneToMany,
}

internal sealed record VectorMatching(Cardinality Cardinality, IReadOnlyList<string> MatchingLabels, bool On, IReadOnlyList<string> Include);

/// <summary>A node of a parsed expression; <see cref="Position"/> is its 0-based offset in the source.</summary>
internal abstract record Expr(int Position)
{
    public abstract PromType Type { get; }
}

internal sealed record NumberLiteral(double Value, int Position) : Expr(Position)
{
    public override PromType Type => PromType.Scalar;
}

internal sealed record StringLiteral(string Value, int Position) : Expr(Position)
{
    public override PromType Type => PromType.String;
}

internal sealed record VectorSelector(string? Name, IReadOnlyList<LabelMatcher> Matchers, int Position) : Expr(Position)
{
    public override PromType Type => PromType.Vector;
}

internal sealed record MatrixSelector(VectorSelector Selector, TimeSpan Range, int Position) : Expr(Position)
{
    public override PromType Type => PromType.Matrix;
}

internal sealed record Call(FunctionDef Function, IReadOnlyList<Expr> Args, int Position) : Expr(Position)
{
    public override PromType Type => Function.ReturnType;
}

internal sealed record Aggregate(string Op, Expr Inner, IReadOnlyList<string> Grouping, bool Without, int Position) : Expr(Position)
{
    public override PromType Type => PromType.Vector;
}

internal sealed record Binary(BinaryOp Op, Expr Lhs, Expr Rhs, bool ReturnBool, VectorMatching? Matching, int Position) : Expr(Position)
{
    public override PromType Type => Lhs.Type == PromType.Scalar && Rhs.Type == PromType.Scalar ? PromType.Scalar : PromType.Vector;
}

internal sealed record Unary(Expr Inner, int Position) : Expr(Position)
{
    public override PromType Type => Inner.Type;
}

internal sealed record Paren(Expr Inner, int Position) : Expr(Position)
{
    public override PromType Type => Inner.Type;
}

/// <summary>A supported function: name, argument types (a trailing optional count), result type.</summary>
internal sealed record FunctionDef(string Name, PromType[] ArgTypes, int OptionalArgs, PromType ReturnType)
{
    public static readonly IReadOnlyDictionary<string, FunctionDef> All = new Dictionary<string, FunctionDef>(StringComparer.Ordinal)
    {
        ["rate"] = new("rate", [PromType.Matrix], 0, PromType.Vector),
        ["irate"] = new("irate", [PromType.Matrix], 0, PromType.Vector),
        ["increase"] = new("increase", [PromType.Matrix], 0, PromType.Vector),
        ["delta"] = new("delta", [PromType.Matrix], 0, PromType.Vector),
        ["predict_linear"] = new("predict_linear", [PromType.Matrix, PromType.Scalar], 0, PromType.Vector),
        ["avg_over_time"] = new("avg_over_time", [PromType.Matrix], 0, PromType.Vector),
        ["min_over_time"] = new("min_over_time", [PromType.Matrix], 0, PromType.Vector),
        ["max_over_time"] = new("max_over_time", [PromType.Matrix], 0, PromType.Vector),
        ["sum_over_time"] = new("sum_over_time", [PromType.Matrix], 0, PromType.Vector),
        ["count_over_time"] = new("count_over_time", [PromType.Matrix], 0, PromType.Vector),
        ["last_over_time"] = new("last_over_time", [PromType.Matrix], 0, PromType.Vector),
        ["abs"] = new("abs", [PromType.Vector], 0, PromType.Vector),
        ["absent"] = new("absent", [PromType.Vector], 0, PromType.Vector),
        ["time"] = new("time", [], 0, PromType.Scalar),
        ["clamp_min"] = new("clamp_min", [PromType.Vector, PromType.Scalar], 0, PromType.Vector),
        ["clamp_max"] = new("clamp_max", [PromType.Vector, PromType.Scalar], 0, PromType.Vector),
        ["histogram_quantile"] = new("histogram_quantile", [PromType.Scalar, PromType.Vector], 0, PromType.Vector),
        ["vector"] = new("vector", [PromType.Scalar], 0, PromType.Vector),
        ["scalar"] = new("scalar", [PromType.Vector], 0, PromType.Scalar),
    };
}
