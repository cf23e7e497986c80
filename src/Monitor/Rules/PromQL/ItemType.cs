namespace Monitor.Rules.PromQL;

/// <summary>The token kinds of Prometheus' PromQL lexer, grouped as its parser groups them.</summary>
internal enum ItemType
{
    Eof,
    Error,
    Comment,
    Identifier,
    MetricIdentifier,
    Number,
    Duration,
    String,
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    Comma,
    Eql,
    Colon,
    Semicolon,
    Blank,
    Times,
    Space,

    OperatorsStart,
    Add,
    Div,
    Eqlc,
    EqlRegex,
    Gte,
    Gtr,
    LAnd,
    LOr,
    Lss,
    Lte,
    LUnless,
    Mod,
    Mul,
    Neq,
    NeqRegex,
    Pow,
    Sub,
    At,
    Atan2,
    OperatorsEnd,

    AggregatorsStart,
    Avg,
    Bottomk,
    Count,
    CountValues,
    Group,
    Max,
    Min,
    Quantile,
    Stddev,
    Stdvar,
    Sum,
    Topk,
    AggregatorsEnd,

    KeywordsStart,
    Bool,
    By,
    GroupLeft,
    GroupRight,
    Ignoring,
    Offset,
    On,
    Without,
    KeywordsEnd,

    Start,
    End,
}

internal static class ItemTypes
{
    /// <summary>Keywords, case-insensitive; <c>inf</c> and <c>nan</c> are numbers.</summary>
    public static readonly IReadOnlyDictionary<string, ItemType> Keywords = new Dictionary<string, ItemType>(StringComparer.Ordinal)
    {
        ["and"] = ItemType.LAnd,
        ["or"] = ItemType.LOr,
        ["unless"] = ItemType.LUnless,
        ["atan2"] = ItemType.Atan2,
        ["sum"] = ItemType.Sum,
        ["avg"] = ItemType.Avg,
        ["count"] = ItemType.Count,
        ["min"] = ItemType.Min,
        ["max"] = ItemType.Max,
        ["group"] = ItemType.Group,
        ["stddev"] = ItemType.Stddev,
        ["stdvar"] = ItemType.Stdvar,
        ["topk"] = ItemType.Topk,
        ["bottomk"] = ItemType.Bottomk,
        ["count_values"] = ItemType.CountValues,
        ["quantile"] = ItemType.Quantile,
        ["offset"] = ItemType.Offset,
        ["by"] = ItemType.By,
        ["without"] = ItemType.Without,
        ["on"] = ItemType.On,
        ["ignoring"] = ItemType.Ignoring,
        ["group_left"] = ItemType.GroupLeft,
        ["group_right"] = ItemType.GroupRight,
        ["bool"] = ItemType.Bool,
        ["start"] = ItemType.Start,
        ["end"] = ItemType.End,
        ["inf"] = ItemType.Number,
        ["nan"] = ItemType.Number,
    };

    private static readonly Dictionary<ItemType, string> Symbols = new()
    {
        [ItemType.LeftParen] = "(",
        [ItemType.RightParen] = ")",
        [ItemType.LeftBrace] = "{",
        [ItemType.RightBrace] = "}",
        [ItemType.LeftBracket] = "[",
        [ItemType.RightBracket] = "]",
        [ItemType.Comma] = ",",
        [ItemType.Eql] = "=",
        [ItemType.Colon] = ":",
        [ItemType.Semicolon] = ";",
        [ItemType.Blank] = "_",
        [ItemType.Times] = "x",
        [ItemType.Space] = "<space>",
        [ItemType.Sub] = "-",
        [ItemType.Add] = "+",
        [ItemType.Mul] = "*",
        [ItemType.Mod] = "%",
        [ItemType.Div] = "/",
        [ItemType.Eqlc] = "==",
        [ItemType.Neq] = "!=",
        [ItemType.Lte] = "<=",
        [ItemType.Lss] = "<",
        [ItemType.Gte] = ">=",
        [ItemType.Gtr] = ">",
        [ItemType.EqlRegex] = "=~",
        [ItemType.NeqRegex] = "!~",
        [ItemType.Pow] = "^",
    };

    static ItemTypes()
    {
        foreach (var (word, type) in Keywords)
        {
            if (type != ItemType.Number)
            {
                Symbols[type] = word;
            }
        }
    }

    public static bool IsOperator(this ItemType t) => t > ItemType.OperatorsStart && t < ItemType.OperatorsEnd;

    public static bool IsAggregator(this ItemType t) => t > ItemType.AggregatorsStart && t < ItemType.AggregatorsEnd;

    public static bool IsAggregatorWithParam(this ItemType t) => t is ItemType.Topk or ItemType.Bottomk or ItemType.CountValues or ItemType.Quantile;

    public static bool IsKeyword(this ItemType t) => t > ItemType.KeywordsStart && t < ItemType.KeywordsEnd;

    public static bool IsComparison(this ItemType t) => t is ItemType.Eqlc or ItemType.Neq or ItemType.Lte or ItemType.Lss or ItemType.Gte or ItemType.Gtr;

    public static bool IsSetOperator(this ItemType t) => t is ItemType.LAnd or ItemType.LOr or ItemType.LUnless;

    /// <summary>The operator's text as Prometheus prints it (<c>+</c>, <c>and</c>, <c>sum</c>).</summary>
    public static string Text(this ItemType t) => Symbols.TryGetValue(t, out string? s) ? s : $"<Item {(int)t}>";

    public static bool HasSymbol(this ItemType t) => Symbols.ContainsKey(t);

    /// <summary>Item.desc's kind word: "end of input", "identifier", "number" …</summary>
    public static string Describe(this ItemType t) => t switch
    {
        ItemType.Error => "error",
        ItemType.Eof => "end of input",
        ItemType.Comment => "comment",
        ItemType.Identifier => "identifier",
        ItemType.MetricIdentifier => "metric identifier",
        ItemType.String => "string",
        ItemType.Number => "number",
        ItemType.Duration => "duration",
        _ => GoCompat.GoText.Quote(t.Text()),
    };
}
