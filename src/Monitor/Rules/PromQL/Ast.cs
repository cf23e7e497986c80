using System.Text.RegularExpressions;
using Monitor.GoCompat;

namespace Monitor.Rules.PromQL;

internal enum PromType
{
    None,
    Scalar,
    Vector,
    Matrix,
    String,
}

internal static class PromTypes
{
    /// <summary>parser.DocumentedType: "instant vector", "range vector", "scalar", "string".</summary>
    public static string Documented(this PromType t) => t switch
    {
        PromType.Vector => "instant vector",
        PromType.Matrix => "range vector",
        _ => t.Raw(),
    };

    /// <summary>The ValueType string: "vector", "matrix", "scalar", "string", "none".</summary>
    public static string Raw(this PromType t) => t switch
    {
        PromType.Vector => "vector",
        PromType.Matrix => "matrix",
        PromType.Scalar => "scalar",
        PromType.String => "string",
        _ => "none",
    };
}

internal enum MatcherType
{
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

/// <summary>A label matcher; regexes are fully anchored and use Go's RE2 syntax, as in Prometheus.</summary>
internal sealed class LabelMatcher
{
    private readonly Regex? _regex;

    private LabelMatcher(string name, MatcherType type, string value, Regex? regex)
    {
        Name = name;
        Type = type;
        Value = value;
        _regex = regex;
    }

    public string Name { get; }

    public MatcherType Type { get; }

    public string Value { get; }

    /// <summary>labels.NewMatcher; a regex Go would not compile gives its error text.</summary>
    public static LabelMatcher Create(string name, MatcherType type, string value, out string? error)
    {
        error = null;
        Regex? regex = null;
        if (type is MatcherType.Regex or MatcherType.NotRegex)
        {
            // As NewFastRegexMatcher: the anchored pattern must compile, and the pattern must parse on its own.
            regex = GoRegex.Compile("^(?:" + value + ")$", out error)?.Regex;
            if (error is null && GoRegex.Translate(value, out string? alone) is null)
            {
                error = alone;
                regex = null;
            }
        }

        return new LabelMatcher(name, type, value, regex);
    }

    /// <summary>A matcher that cannot fail to build (equality, or a regex known to be valid).</summary>
    public static LabelMatcher Of(string name, MatcherType type, string value) =>
        Create(name, type, value, out string? error) is var m && error is null ? m : throw new ArgumentException(error, nameof(value));

    /// <summary>Whether a label value (empty when the label is absent) matches.</summary>
    public bool Matches(string value) => Type switch
    {
        MatcherType.Equal => value == Value,
        MatcherType.NotEqual => value != Value,
        MatcherType.Regex => _regex is not null && _regex.IsMatch(value),
        _ => _regex is null || !_regex.IsMatch(value),
    };

    public override string ToString() => Name + Type switch
    {
        MatcherType.Equal => "=",
        MatcherType.NotEqual => "!=",
        MatcherType.Regex => "=~",
        _ => "!~",
    } + GoText.Quote(Value);
}

internal enum Cardinality
{
    OneToOne,
    ManyToOne,
    OneToMany,
    ManyToMany,
}

internal sealed class VectorMatching
{
    public Cardinality Card { get; set; }

    public List<string> MatchingLabels { get; set; } = [];

    public bool On { get; set; }

    public List<string> Include { get; set; } = [];
}

internal readonly record struct PositionRange(int Start, int End);

/// <summary>A node of a parsed expression; positions are character offsets into the source.</summary>
internal abstract class Expr
{
    public abstract PromType Type { get; }

    public abstract PositionRange Range { get; }
}

internal sealed class NumberLiteral(double value, PositionRange range) : Expr
{
    public double Value { get; set; } = value;

    public PositionRange Pos { get; set; } = range;

    public override PromType Type => PromType.Scalar;

    public override PositionRange Range => Pos;
}

internal sealed class StringLiteral(string value, PositionRange range) : Expr
{
    public string Value { get; } = value;

    public override PromType Type => PromType.String;

    public override PositionRange Range { get; } = range;
}

/// <summary>Where an <c>@</c> modifier points: a fixed time, or the evaluation's start or end.</summary>
internal enum AtKind
{
    None,
    Timestamp,
    Start,
    End,
}

/// <summary>The <c>offset</c> and <c>@</c> modifiers of a selector or subquery.</summary>
internal interface IModified
{
    long OriginalOffset { get; set; }

    AtKind At { get; set; }

    long AtTimestamp { get; set; }

    int EndPos { get; set; }
}

internal sealed class VectorSelector(string name, List<LabelMatcher> matchers, PositionRange range) : Expr, IModified
{
    public string Name { get; set; } = name;

    /// <summary>Every matcher, the <c>__name__</c> one (when the selector names a metric) last.</summary>
    public List<LabelMatcher> Matchers { get; } = matchers;

    public long OriginalOffset { get; set; }

    public AtKind At { get; set; }

    public long AtTimestamp { get; set; }

    public PositionRange Pos { get; set; } = range;

    public int EndPos
    {
        get => Pos.End;
        set => Pos = Pos with { End = value };
    }

    public override PromType Type => PromType.Vector;

    public override PositionRange Range => Pos;
}

internal sealed class MatrixSelector(Expr selector, long rangeMs, int endPos) : Expr
{
    public Expr Selector { get; } = selector;

    public VectorSelector Vector => (VectorSelector)Selector;

    public long RangeMs { get; } = rangeMs;

    public int EndPos { get; set; } = endPos;

    public override PromType Type => PromType.Matrix;

    public override PositionRange Range => new(Selector.Range.Start, EndPos);
}

internal sealed class SubqueryExpr(Expr inner, long rangeMs, long stepMs, int endPos) : Expr, IModified
{
    public Expr Inner { get; set; } = inner;

    public long RangeMs { get; } = rangeMs;

    /// <summary>0 when the subquery has no step: the evaluation interval serves.</summary>
    public long StepMs { get; } = stepMs;

    public long OriginalOffset { get; set; }

    public AtKind At { get; set; }

    public long AtTimestamp { get; set; }

    public int EndPos { get; set; } = endPos;

    public override PromType Type => PromType.Matrix;

    public override PositionRange Range => new(Inner.Range.Start, EndPos);
}

internal sealed class Call(FunctionDef function, List<Expr> args, PositionRange range) : Expr
{
    public FunctionDef Function { get; } = function;

    public List<Expr> Args { get; } = args;

    public override PromType Type => Function.ReturnType;

    public override PositionRange Range { get; } = range;
}

internal sealed class AggregateExpr(ItemType op, PositionRange range) : Expr
{
    public ItemType Op { get; } = op;

    public Expr Inner { get; set; } = null!;

    public Expr? Param { get; set; }

    public List<string> Grouping { get; set; } = [];

    public bool Without { get; set; }

    public override PromType Type => PromType.Vector;

    public override PositionRange Range { get; } = range;
}

internal sealed class BinaryExpr(ItemType op, Expr lhs, Expr rhs, VectorMatching? matching, bool returnBool) : Expr
{
    public ItemType Op { get; } = op;

    public Expr Lhs { get; set; } = lhs;

    public Expr Rhs { get; set; } = rhs;

    public VectorMatching? Matching { get; set; } = matching;

    public bool ReturnBool { get; } = returnBool;

    public override PromType Type => Lhs.Type == PromType.Scalar && Rhs.Type == PromType.Scalar ? PromType.Scalar : PromType.Vector;

    public override PositionRange Range => new(Lhs.Range.Start, Rhs.Range.End);
}

internal sealed class UnaryExpr(ItemType op, Expr inner, int start) : Expr
{
    public ItemType Op { get; } = op;

    public Expr Inner { get; } = inner;

    public override PromType Type => Inner.Type;

    public override PositionRange Range => new(start, Inner.Range.End);
}

internal sealed class ParenExpr(Expr inner, PositionRange range) : Expr
{
    public Expr Inner { get; } = inner;

    public override PromType Type => Inner.Type;

    public override PositionRange Range { get; } = range;
}

/// <summary>A part of the expression whose value is the same at every step (it has an <c>@</c>): evaluated once.</summary>
internal sealed class StepInvariantExpr(Expr inner) : Expr
{
    public Expr Inner { get; } = inner;

    public override PromType Type => Inner.Type;

    public override PositionRange Range => Inner.Range;
}

/// <summary>A PromQL function: name, argument types, how many trailing arguments may be left out (-1: any number more), result type.</summary>
internal sealed record FunctionDef(string Name, PromType[] ArgTypes, int Variadic, PromType ReturnType)
{
    private static readonly PromType V = PromType.Vector;
    private static readonly PromType M = PromType.Matrix;
    private static readonly PromType S = PromType.Scalar;
    private static readonly PromType Str = PromType.String;

    public static readonly IReadOnlyDictionary<string, FunctionDef> All = new FunctionDef[]
    {
        new("abs", [V], 0, V), new("absent", [V], 0, V), new("absent_over_time", [M], 0, V),
        new("acos", [V], 0, V), new("acosh", [V], 0, V), new("asin", [V], 0, V), new("asinh", [V], 0, V),
        new("atan", [V], 0, V), new("atanh", [V], 0, V), new("avg_over_time", [M], 0, V), new("ceil", [V], 0, V),
        new("changes", [M], 0, V), new("clamp", [V, S, S], 0, V), new("clamp_max", [V, S], 0, V),
        new("clamp_min", [V, S], 0, V), new("cos", [V], 0, V), new("cosh", [V], 0, V), new("count_over_time", [M], 0, V),
        new("days_in_month", [V], 1, V), new("day_of_month", [V], 1, V), new("day_of_week", [V], 1, V),
        new("day_of_year", [V], 1, V), new("deg", [V], 0, V), new("delta", [M], 0, V), new("deriv", [M], 0, V),
        new("exp", [V], 0, V), new("floor", [V], 0, V), new("histogram_count", [V], 0, V), new("histogram_sum", [V], 0, V),
        new("histogram_fraction", [S, S, V], 0, V), new("histogram_quantile", [S, V], 0, V),
        new("holt_winters", [M, S, S], 0, V), new("hour", [V], 1, V), new("idelta", [M], 0, V), new("increase", [M], 0, V),
        new("irate", [M], 0, V), new("label_replace", [V, Str, Str, Str, Str], 0, V), new("label_join", [V, Str, Str, Str], -1, V),
        new("last_over_time", [M], 0, V), new("ln", [V], 0, V), new("log10", [V], 0, V), new("log2", [V], 0, V),
        new("max_over_time", [M], 0, V), new("min_over_time", [M], 0, V), new("minute", [V], 1, V), new("month", [V], 1, V),
        new("pi", [], 0, S), new("predict_linear", [M, S], 0, V), new("present_over_time", [M], 0, V),
        new("quantile_over_time", [S, M], 0, V), new("rad", [V], 0, V), new("rate", [M], 0, V), new("resets", [M], 0, V),
        new("round", [V, S], 1, V), new("scalar", [V], 0, S), new("sgn", [V], 0, V), new("sin", [V], 0, V),
        new("sinh", [V], 0, V), new("sort", [V], 0, V), new("sort_desc", [V], 0, V), new("sqrt", [V], 0, V),
        new("stddev_over_time", [M], 0, V), new("stdvar_over_time", [M], 0, V), new("sum_over_time", [M], 0, V),
        new("tan", [V], 0, V), new("tanh", [V], 0, V), new("time", [], 0, S), new("timestamp", [V], 0, V),
        new("vector", [S], 0, V), new("year", [V], 1, V),
    }.ToDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>Functions whose result changes with the evaluation time even when their arguments do not.</summary>
    public static readonly IReadOnlySet<string> AtModifierUnsafe = new HashSet<string>(StringComparer.Ordinal)
    {
        "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year",
        "predict_linear", "time", "timestamp",
    };
}
