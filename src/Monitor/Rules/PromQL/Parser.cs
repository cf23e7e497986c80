using Monitor.Configuration;
using Monitor.GoCompat;
using Monitor.Metrics;
using Monitor.Rules.Evaluation;

namespace Monitor.Rules.PromQL;

/// <summary>One value of a rule test's input series: a number, or a step without a sample.</summary>
internal readonly record struct SequenceValue(double Value, bool Omitted);

/// <summary>
/// PromQL's parser with Prometheus 2.42's grammar (promql/parser/generated_parser.y) and checks (parse.go's
/// checkAST): the same precedence (<c>or</c> &lt; <c>and unless</c> &lt; comparisons &lt; <c>+ -</c> &lt;
/// <c>* / % atan2</c> &lt; <c>^</c>, right-associative; unary minus binds like <c>*</c>; <c>[range]</c>,
/// <c>offset</c> and <c>@</c> bind to the nearest selector), the same case-insensitive keywords, and the same
/// error texts at the same positions for what it rejects. The first error is reported, as Prometheus does.
/// Recursive descent replaces the LALR tables; nesting deeper than <see cref="MaxDepth"/> is an error instead
/// of a deep stack.
/// </summary>
internal sealed class Parser
{
    /// <summary>How deeply expressions may nest (parentheses, calls, operators); far beyond any real rule.</summary>
    public const int MaxDepth = 256;

    private static readonly HashSet<ItemType> MetricIdentifiers =
    [
        ItemType.Avg, ItemType.Bottomk, ItemType.By, ItemType.Count, ItemType.CountValues, ItemType.Group, ItemType.Identifier,
        ItemType.LAnd, ItemType.LOr, ItemType.LUnless, ItemType.Max, ItemType.MetricIdentifier, ItemType.Min, ItemType.Offset,
        ItemType.Quantile, ItemType.Stddev, ItemType.Stdvar, ItemType.Sum, ItemType.Topk, ItemType.Without, ItemType.Start, ItemType.End,
    ];

    private static readonly HashSet<ItemType> MaybeLabels =
    [
        ItemType.Avg, ItemType.Bool, ItemType.Bottomk, ItemType.By, ItemType.Count, ItemType.CountValues, ItemType.Group,
        ItemType.GroupLeft, ItemType.GroupRight, ItemType.Identifier, ItemType.Ignoring, ItemType.LAnd, ItemType.LOr,
        ItemType.LUnless, ItemType.Max, ItemType.MetricIdentifier, ItemType.Min, ItemType.Offset, ItemType.On, ItemType.Quantile,
        ItemType.Stddev, ItemType.Stdvar, ItemType.Sum, ItemType.Topk, ItemType.Start, ItemType.End, ItemType.Atan2,
    ];

    private readonly Lexer _lex;
    private readonly string _input;
    private Item _token;
    private bool _peeked;
    private int _lastClosing;
    private int _aggregations;
    private int _depth;

    private Parser(string input, bool seriesDesc = false)
    {
        _input = input;
        _lex = new Lexer(input, seriesDesc);
    }

    /// <summary>parser.ParseExpr, then the engine's preprocessing (<c>@</c> parts wrapped as step-invariant).</summary>
    public static Expr Parse(string input)
    {
        var parser = new Parser(input);
        var expr = parser.ParseTop();
        CheckDepth(expr);
        new Checker(input).Check(expr);
        return Preprocess(expr);
    }

    /// <summary>parser.ParseMetric: <c>name{a="b"}</c> or <c>{a="b"}</c>, as rule tests write expected samples.</summary>
    public static Label[] ParseMetric(string input)
    {
        var parser = new Parser(input);
        var labels = parser.ParseMetricLabels();
        if (parser.Peek().Type != ItemType.Eof)
        {
            throw parser.Unexpected(string.Empty, string.Empty);
        }

        return labels;
    }

    /// <summary>parser.ParseSeriesDesc: a series and its values in the expanding notation of rule tests.</summary>
    public static (Label[] Labels, List<SequenceValue> Values) ParseSeriesDesc(string input)
    {
        var parser = new Parser(input, seriesDesc: true);
        var labels = parser.ParseMetricLabels();
        var values = parser.ParseSeriesValues();
        return (labels, values);
    }

    /// <summary>A parse error at a character offset.</summary>
    private static PromQLException Fail(int position, string message) => new(message, position);

    private Item Peek()
    {
        if (!_peeked)
        {
            _token = Fetch();
            _peeked = true;
        }

        return _token;
    }

    private Item Take()
    {
        var item = Peek();
        _peeked = false;
        if (item.Type is ItemType.RightBrace or ItemType.RightParen or ItemType.RightBracket or ItemType.Duration or ItemType.Number)
        {
            _lastClosing = item.End;
        }

        return item;
    }

    private Item Fetch()
    {
        while (true)
        {
            var item = _lex.NextItem();
            if (item.Type == ItemType.Comment)
            {
                continue;
            }

            if (item.Type == ItemType.Error)
            {
                throw Fail(_lex.Start, item.Val);
            }

            return item;
        }
    }

    /// <summary>The parser's "unexpected X in CONTEXT, expected Y" for the current token.</summary>
    private PromQLException Unexpected(string context, string expected)
    {
        var item = Peek();
        string message = "unexpected " + item.Describe();
        if (context.Length > 0)
        {
            message += " in " + context;
        }

        if (expected.Length > 0)
        {
            message += ", expected " + expected;
        }

        return Fail(item.Pos, message);
    }

    /// <summary>An unexpected token where an expression (or its end) was due: inside an aggregation, its error.</summary>
    private PromQLException UnexpectedInExpression() => Unexpected(_aggregations > 0 ? "aggregation" : string.Empty, string.Empty);

    private Expr ParseTop()
    {
        if (Peek().Type == ItemType.Eof)
        {
            throw Fail(0, "no expression found in input");
        }

        var expr = ParseExpr(0);
        if (Peek().Type != ItemType.Eof)
        {
            throw UnexpectedInExpression();
        }

        return expr;
    }

    private static int Precedence(ItemType type) => type switch
    {
        ItemType.LOr => 1,
        ItemType.LAnd or ItemType.LUnless => 2,
        ItemType.Eqlc or ItemType.Neq or ItemType.Gtr or ItemType.Lss or ItemType.Gte or ItemType.Lte => 3,
        ItemType.Add or ItemType.Sub => 4,
        ItemType.Mul or ItemType.Div or ItemType.Mod or ItemType.Atan2 => 5,
        ItemType.Pow => 6,
        _ => -1,
    };

    private const int UnaryOperandPrecedence = 6;

    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw Fail(Peek().Pos, $"expression nested too deeply: more than {MaxDepth} levels");
        }
    }

    private Expr ParseExpr(int minPrecedence)
    {
        Enter();
        var lhs = ParseUnary();
        while (true)
        {
            var op = Peek();
            int precedence = Precedence(op.Type);
            if (precedence < 0 || precedence < minPrecedence)
            {
                break;
            }

            Take();
            var (matching, returnBool) = ParseBinaryModifiers();
            var rhs = ParseExpr(op.Type == ItemType.Pow ? precedence : precedence + 1);
            lhs = new BinaryExpr(op.Type, lhs, rhs, matching, returnBool);
        }

        _depth--;
        return lhs;
    }

    private (VectorMatching Matching, bool ReturnBool) ParseBinaryModifiers()
    {
        bool returnBool = false;
        if (Peek().Type == ItemType.Bool)
        {
            Take();
            returnBool = true;
        }

        var matching = new VectorMatching { Card = Cardinality.OneToOne };
        if (Peek().Type is ItemType.On or ItemType.Ignoring)
        {
            matching.On = Take().Type == ItemType.On;
            matching.MatchingLabels = ParseGroupingLabels();
            if (Peek().Type is ItemType.GroupLeft or ItemType.GroupRight)
            {
                matching.Card = Take().Type == ItemType.GroupLeft ? Cardinality.ManyToOne : Cardinality.OneToMany;
                if (Peek().Type == ItemType.LeftParen || !StartsExpression(Peek().Type))
                {
                    // What can start no right-hand side is taken for missing group labels, as the grammar does.
                    matching.Include = ParseGroupingLabels();
                }
            }
        }

        return (matching, returnBool);
    }

    private Expr ParseUnary()
    {
        var op = Peek();
        if (op.Type is ItemType.Add or ItemType.Sub)
        {
            Take();
            var operand = ParseExpr(UnaryOperandPrecedence);
            if (operand is NumberLiteral number)
            {
                if (op.Type == ItemType.Sub)
                {
                    number.Value = -number.Value;
                }

                number.Pos = number.Pos with { Start = op.Pos };
                return number;
            }

            return new UnaryExpr(op.Type, operand, op.Pos);
        }

        return ParsePostfix(ParsePrimary());
    }

    private Expr ParsePrimary()
    {
        var t = Peek();
        switch (t.Type)
        {
            case ItemType.Number:
            {
                Take();
                double? value = GoText.ParseNumber(t.Val, out string? error);
                if (value is null)
                {
                    throw Fail(t.Pos, $"error parsing number: {error}");
                }

                return new NumberLiteral(value.Value, new PositionRange(t.Pos, t.End));
            }

            case ItemType.String:
                Take();
                return new StringLiteral(Unquote(t), new PositionRange(t.Pos, t.End));
            case ItemType.LeftParen:
            {
                Take();
                var inner = ParseExpr(0);
                if (Peek().Type != ItemType.RightParen)
                {
                    throw UnexpectedInExpression();
                }

                var close = Take();
                return new ParenExpr(inner, new PositionRange(t.Pos, close.End));
            }

            case ItemType.LeftBrace:
            {
                var (matchers, end) = ParseLabelMatchers();
                return new VectorSelector(string.Empty, matchers, new PositionRange(t.Pos, end));
            }

            case ItemType.Identifier:
                Take();
                if (Peek().Type == ItemType.LeftParen)
                {
                    return ParseCall(t);
                }

                return ParseSelector(t);
            case var type when type.IsAggregator():
                Take();
                if (Peek().Type is ItemType.LeftParen or ItemType.By or ItemType.Without)
                {
                    return ParseAggregate(t);
                }

                return ParseSelector(t);
            case var type when MetricIdentifiers.Contains(type):
                Take();
                return ParseSelector(t);
            default:
                throw UnexpectedInExpression();
        }
    }

    private VectorSelector ParseSelector(Item name)
    {
        var matchers = new List<LabelMatcher>();
        int end = name.End;
        if (Peek().Type == ItemType.LeftBrace)
        {
            (matchers, end) = ParseLabelMatchers();
        }

        matchers.Add(LabelMatcher.Of(LabelSet.MetricName, MatcherType.Equal, name.Val));
        return new VectorSelector(name.Val, matchers, new PositionRange(name.Pos, end));
    }

    private (List<LabelMatcher> Matchers, int End) ParseLabelMatchers()
    {
        Take(); // {
        var matchers = new List<LabelMatcher>();
        if (Peek().Type == ItemType.RightBrace)
        {
            return (matchers, Take().End);
        }

        while (true)
        {
            var name = Peek();
            if (name.Type != ItemType.Identifier)
            {
                throw Unexpected("label matching", "identifier or \"}\"");
            }

            Take();
            var op = Peek();
            var type = op.Type switch
            {
                ItemType.Eql => MatcherType.Equal,
                ItemType.Neq => MatcherType.NotEqual,
                ItemType.EqlRegex => MatcherType.Regex,
                ItemType.NeqRegex => MatcherType.NotRegex,
                _ => throw Unexpected("label matching", "label matching operator"),
            };
            Take();
            var value = Peek();
            if (value.Type != ItemType.String)
            {
                throw Unexpected("label matching", "string");
            }

            Take();
            var matcher = LabelMatcher.Create(name.Val, type, Unquote(value), out string? error);
            if (error is not null)
            {
                throw Fail(name.Pos, error);
            }

            matchers.Add(matcher);
            var next = Peek();
            if (next.Type == ItemType.Comma)
            {
                Take();
                if (Peek().Type == ItemType.RightBrace)
                {
                    return (matchers, Take().End);
                }

                continue;
            }

            if (next.Type == ItemType.RightBrace)
            {
                return (matchers, Take().End);
            }

            throw Unexpected("label matching", "\",\" or \"}\"");
        }
    }

    private string Unquote(Item s) =>
        GoText.Unquote(s.Val) ?? throw Fail(Peek().Pos, $"error unquoting string {GoText.Quote(s.Val)}: invalid syntax");

    private List<string> ParseGroupingLabels()
    {
        if (Peek().Type != ItemType.LeftParen)
        {
            throw Unexpected("grouping opts", "\"(\"");
        }

        Take();
        var labels = new List<string>();
        if (Peek().Type == ItemType.RightParen)
        {
            Take();
            return labels;
        }

        while (true)
        {
            var label = Peek();
            if (!MaybeLabels.Contains(label.Type) || !Lexer.IsLabel(label.Val))
            {
                throw Unexpected("grouping opts", "label");
            }

            Take();
            labels.Add(label.Val);
            var next = Peek();
            if (next.Type == ItemType.Comma)
            {
                Take();
                if (Peek().Type == ItemType.RightParen)
                {
                    Take();
                    return labels;
                }

                continue;
            }

            if (next.Type == ItemType.RightParen)
            {
                Take();
                return labels;
            }

            throw Unexpected("grouping opts", "\",\" or \")\"");
        }
    }

    /// <summary>function_call_body: <c>( arg, … )</c>.</summary>
    private List<Expr> ParseArguments()
    {
        Take(); // (
        var args = new List<Expr>();
        if (Peek().Type == ItemType.RightParen)
        {
            Take();
            return args;
        }

        while (true)
        {
            args.Add(ParseExpr(0));
            var next = Peek();
            if (next.Type == ItemType.Comma)
            {
                Take();
                if (!StartsExpression(Peek().Type))
                {
                    // The grammar takes the comma as a trailing one before it looks at what cannot follow.
                    throw Fail(next.Pos, "trailing commas not allowed in function call args");
                }

                continue;
            }

            if (next.Type == ItemType.RightParen)
            {
                Take();
                return args;
            }

            throw UnexpectedInExpression();
        }
    }

    private static bool StartsExpression(ItemType t) =>
        t is ItemType.Number or ItemType.String or ItemType.LeftParen or ItemType.LeftBrace or ItemType.Add or ItemType.Sub
        || t.IsAggregator() || MetricIdentifiers.Contains(t);

    private Call ParseCall(Item name)
    {
        var args = ParseArguments();
        if (!FunctionDef.All.TryGetValue(name.Val, out var function))
        {
            throw Fail(name.Pos, $"unknown function with name {GoText.Quote(name.Val)}");
        }

        return new Call(function, args, new PositionRange(name.Pos, _lastClosing));
    }

    private AggregateExpr ParseAggregate(Item op)
    {
        _aggregations++;
        var grouping = new List<string>();
        bool without = false;
        bool modifierFirst = false;
        if (Peek().Type is ItemType.By or ItemType.Without)
        {
            without = Take().Type == ItemType.Without;
            grouping = ParseGroupingLabels();
            modifierFirst = true;
        }

        if (Peek().Type != ItemType.LeftParen)
        {
            throw Unexpected("aggregation", string.Empty);
        }

        var args = ParseArguments();
        if (!modifierFirst && Peek().Type is ItemType.By or ItemType.Without)
        {
            without = Take().Type == ItemType.Without;
            grouping = ParseGroupingLabels();
        }

        _aggregations--;
        var aggregate = new AggregateExpr(op.Type, new PositionRange(op.Pos, _lastClosing)) { Grouping = grouping, Without = without };
        if (args.Count == 0)
        {
            throw Fail(op.Pos, "no arguments for aggregate expression provided");
        }

        int desired = op.Type.IsAggregatorWithParam() ? 2 : 1;
        if (args.Count != desired)
        {
            throw Fail(op.Pos, $"wrong number of arguments for aggregate expression provided, expected {desired}, got {args.Count}");
        }

        if (desired == 2)
        {
            aggregate.Param = args[0];
        }

        aggregate.Inner = args[desired - 1];
        return aggregate;
    }

    private Expr ParsePostfix(Expr expr)
    {
        while (true)
        {
            switch (Peek().Type)
            {
                case ItemType.LeftBracket:
                    expr = ParseBracket(expr);
                    break;
                case ItemType.Offset:
                    ParseOffset(expr);
                    break;
                case ItemType.At:
                    ParseAt(expr);
                    break;
                default:
                    return expr;
            }
        }
    }

    private Expr ParseBracket(Expr expr)
    {
        var open = Take();
        var range = Peek();
        if (range.Type != ItemType.Duration)
        {
            throw Unexpected("subquery selector", "duration");
        }

        Take();
        long rangeMs = ParseDuration(range);
        var next = Peek();
        if (next.Type == ItemType.RightBracket)
        {
            var close = Take();
            string? error = expr switch
            {
                not VectorSelector => "ranges only allowed for vector selectors",
                VectorSelector { OriginalOffset: not 0 } => "no offset modifiers allowed before range",
                VectorSelector { At: AtKind.Timestamp } => "no @ modifiers allowed before range",
                _ => null,
            };
            if (error is not null)
            {
                throw Fail(open.Pos, error);
            }

            return new MatrixSelector(expr, rangeMs, close.End);
        }

        if (next.Type != ItemType.Colon)
        {
            throw Unexpected("subquery or range", "\":\" or \"]\"");
        }

        Take();
        long stepMs = 0;
        var step = Peek();
        if (step.Type == ItemType.Duration)
        {
            Take();
            stepMs = ParseDuration(step);
            if (Peek().Type != ItemType.RightBracket)
            {
                throw Unexpected("subquery selector", "\"]\"");
            }
        }
        else if (step.Type != ItemType.RightBracket)
        {
            throw Unexpected("subquery selector", "duration or \"]\"");
        }

        var end = Take();
        return new SubqueryExpr(expr, rangeMs, stepMs, end.Pos + 1);
    }

    /// <summary>parseDuration: Prometheus duration syntax, greater than zero; milliseconds.</summary>
    private static long ParseDuration(Item item)
    {
        long? ms = PromQLDuration(item.Val, out string? error);
        if (ms is null)
        {
            throw Fail(item.Pos, error!);
        }

        if (ms == 0)
        {
            throw Fail(item.Pos, "duration must be greater than 0");
        }

        return ms.Value;
    }

    /// <summary>model.ParseDuration as Prometheus 2.42 has it (at most ~292 years).</summary>
    internal static long? PromQLDuration(string text, out string? error)
    {
        error = null;
        if (!PromDuration.TryParse(text, out var duration))
        {
            error = $"not a valid duration string: {GoText.Quote(text)}";
            return null;
        }

        long ms = (long)duration.TotalMilliseconds;
        if (ms > long.MaxValue / 1_000_000)
        {
            error = "duration out of range";
            return null;
        }

        return ms;
    }

    private void ParseOffset(Expr expr)
    {
        Take();
        bool negative = false;
        if (Peek().Type == ItemType.Sub)
        {
            Take();
            negative = true;
        }

        var duration = Peek();
        if (duration.Type != ItemType.Duration)
        {
            throw Unexpected("offset", "duration");
        }

        Take();
        long offset = ParseDuration(duration);
        IModified target = expr switch
        {
            VectorSelector v => v,
            MatrixSelector { Selector: VectorSelector v } => v,
            SubqueryExpr s => s,
            _ => throw Fail(expr.Range.Start, "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"),
        };
        if (target.OriginalOffset != 0)
        {
            throw Fail(expr.Range.Start, "offset may not be set multiple times");
        }

        target.OriginalOffset = negative ? -offset : offset;
        SetEnd(expr);
    }

    private void SetEnd(Expr expr)
    {
        switch (expr)
        {
            case VectorSelector v:
                v.EndPos = _lastClosing;
                break;
            case MatrixSelector m:
                m.EndPos = _lastClosing;
                break;
            case SubqueryExpr s:
                s.EndPos = _lastClosing;
                break;
        }
    }

    private void ParseAt(Expr expr)
    {
        Take();
        var t = Peek();
        if (t.Type is ItemType.Start or ItemType.End)
        {
            Take();
            if (Peek().Type != ItemType.LeftParen)
            {
                throw Unexpected("@", "timestamp");
            }

            Take();
            if (Peek().Type != ItemType.RightParen)
            {
                throw Unexpected("@", "timestamp");
            }

            Take();
            var target = AtTarget(expr);
            target.At = t.Type == ItemType.Start ? AtKind.Start : AtKind.End;
            SetEnd(expr);
            return;
        }

        double sign = 1;
        if (t.Type is ItemType.Add or ItemType.Sub)
        {
            Take();
            sign = t.Type == ItemType.Sub ? -1 : 1;
            t = Peek();
        }

        if (t.Type != ItemType.Number)
        {
            throw Unexpected("@", "timestamp");
        }

        Take();
        double? number = GoText.ParseNumber(t.Val, out string? error);
        if (number is null)
        {
            throw Fail(t.Pos, $"error parsing number: {error}");
        }

        double ts = sign * number.Value;
        if (double.IsInfinity(ts) || double.IsNaN(ts) || ts >= long.MaxValue || ts <= long.MinValue)
        {
            throw Fail(expr.Range.Start, $"timestamp out of bounds for @ modifier: {GoFloat.FormatFixed(ts, 6)}");
        }

        var at = AtTarget(expr);
        at.At = AtKind.Timestamp;
        at.AtTimestamp = (long)Math.Round(ts * 1000, MidpointRounding.AwayFromZero);
        SetEnd(expr);
    }

    private static IModified AtTarget(Expr expr)
    {
        IModified target = expr switch
        {
            VectorSelector v => v,
            MatrixSelector { Selector: VectorSelector v } => v,
            SubqueryExpr s => s,
            _ => throw Fail(expr.Range.Start, "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery"),
        };
        if (target.At != AtKind.None)
        {
            throw Fail(expr.Range.Start, "@ <timestamp> may not be set multiple times");
        }

        return target;
    }

    // ---- metrics and series descriptions (rule unit tests) ----

    private Label[] ParseMetricLabels()
    {
        var labels = new List<Label>();
        string? name = null;
        var t = Peek();
        if (MetricIdentifiers.Contains(t.Type) || t.Type.IsAggregator())
        {
            name = Take().Val;
        }

        if (Peek().Type == ItemType.LeftBrace)
        {
            Take();
            if (Peek().Type == ItemType.RightBrace)
            {
                Take();
            }
            else
            {
                while (true)
                {
                    var label = Peek();
                    if (label.Type != ItemType.Identifier)
                    {
                        throw Unexpected("label set", "identifier or \"}\"");
                    }

                    Take();
                    if (Peek().Type != ItemType.Eql)
                    {
                        throw Unexpected("label set", "\"=\"");
                    }

                    Take();
                    var value = Peek();
                    if (value.Type != ItemType.String)
                    {
                        throw Unexpected("label set", "string");
                    }

                    Take();
                    labels.Add(new Label(label.Val, Unquote(value)));
                    var next = Peek();
                    if (next.Type == ItemType.Comma)
                    {
                        Take();
                        if (Peek().Type == ItemType.RightBrace)
                        {
                            Take();
                            break;
                        }

                        continue;
                    }

                    if (next.Type == ItemType.RightBrace)
                    {
                        Take();
                        break;
                    }

                    throw Unexpected("label set", "\",\" or \"}\"");
                }
            }
        }

        if (name is not null)
        {
            labels.RemoveAll(l => l.Name == LabelSet.MetricName);
            labels.Add(new Label(LabelSet.MetricName, name));
        }

        // labels.New: sorted by name; empty values are kept as they were given.
        return [.. labels.OrderBy(l => l.Name, StringComparer.Ordinal)];
    }

    private List<SequenceValue> ParseSeriesValues()
    {
        var values = new List<SequenceValue>();
        while (true)
        {
            var t = Peek();
            if (t.Type == ItemType.Eof)
            {
                return values;
            }

            if (t.Type != ItemType.Space)
            {
                throw Unexpected("series values", string.Empty);
            }

            Take();
            if (Peek().Type is ItemType.Eof or ItemType.Space)
            {
                continue;
            }

            ParseSeriesItem(values);
        }
    }

    private void ParseSeriesItem(List<SequenceValue> values)
    {
        if (Peek().Type == ItemType.Blank)
        {
            Take();
            if (Peek().Type == ItemType.Times)
            {
                Take();
                ulong n = ParseRepetition();
                for (ulong i = 0; i < n; i++)
                {
                    values.Add(new SequenceValue(0, true));
                }

                return;
            }

            values.Add(new SequenceValue(0, true));
            return;
        }

        double value = ParseSeriesValue();
        var next = Peek();
        if (next.Type == ItemType.Times)
        {
            Take();
            ulong n = ParseRepetition();
            for (ulong i = 0; i <= n; i++)
            {
                values.Add(new SequenceValue(value, false));
            }

            return;
        }

        if (next.Type is ItemType.Add or ItemType.Sub)
        {
            Take();
            var number = Peek();
            if (number.Type != ItemType.Number)
            {
                throw Unexpected("series values", string.Empty);
            }

            Take();
            double step = SeriesNumber(number) * (next.Type == ItemType.Sub ? -1 : 1);
            if (Peek().Type != ItemType.Times)
            {
                throw Unexpected("series values", string.Empty);
            }

            Take();
            ulong n = ParseRepetition();
            for (ulong i = 0; i <= n; i++)
            {
                values.Add(new SequenceValue(value, false));
                value += step;
            }

            return;
        }

        values.Add(new SequenceValue(value, false));
    }

    private double ParseSeriesValue()
    {
        var t = Peek();
        switch (t.Type)
        {
            case ItemType.Identifier:
                if (t.Val != "stale")
                {
                    throw Unexpected("series values", "number or \"stale\"");
                }

                Take();
                return StoredSeries.StaleNaN;
            case ItemType.Number:
                Take();
                return SeriesNumber(t);
            case ItemType.Add or ItemType.Sub:
            {
                Take();
                var number = Peek();
                if (number.Type != ItemType.Number)
                {
                    throw Unexpected("series values", string.Empty);
                }

                Take();
                return SeriesNumber(number) * (t.Type == ItemType.Sub ? -1 : 1);
            }

            default:
                throw Unexpected("series values", string.Empty);
        }
    }

    private static double SeriesNumber(Item t) =>
        GoText.ParseNumber(t.Val, out string? error) ?? throw Fail(t.Pos, $"error parsing number: {error}");

    private ulong ParseRepetition()
    {
        var t = Peek();
        if (t.Type != ItemType.Number)
        {
            throw Unexpected("series values", string.Empty);
        }

        Take();
        if (!t.Val.All(char.IsAsciiDigit) || t.Val.Length == 0)
        {
            throw Fail(t.Pos, $"invalid repetition in series values: strconv.ParseUint: parsing {GoText.Quote(t.Val)}: invalid syntax");
        }

        if (!ulong.TryParse(t.Val, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong n))
        {
            throw Fail(t.Pos, $"invalid repetition in series values: strconv.ParseUint: parsing {GoText.Quote(t.Val)}: value out of range");
        }

        return n;
    }

    // ---- after parsing ----

    /// <summary>A left-deep chain (<c>a + a + a …</c>) nests without recursing in the parser: bound its height too.</summary>
    private static void CheckDepth(Expr root)
    {
        var stack = new Stack<(Expr Node, int Depth)>();
        stack.Push((root, 1));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            if (depth > MaxDepth)
            {
                throw Fail(node.Range.Start, $"expression nested too deeply: more than {MaxDepth} levels");
            }

            foreach (var child in Children(node))
            {
                stack.Push((child, depth + 1));
            }
        }
    }

    /// <summary>The direct sub-expressions of a node (aggregation parameters first, as Prometheus walks them).</summary>
    public static IEnumerable<Expr> Children(Expr node)
    {
        switch (node)
        {
            case AggregateExpr a:
                if (a.Param is not null)
                {
                    yield return a.Param;
                }

                yield return a.Inner;
                break;
            case BinaryExpr b:
                yield return b.Lhs;
                yield return b.Rhs;
                break;
            case Call c:
                foreach (var arg in c.Args)
                {
                    yield return arg;
                }

                break;
            case ParenExpr p:
                yield return p.Inner;
                break;
            case UnaryExpr u:
                yield return u.Inner;
                break;
            case MatrixSelector m:
                yield return m.Selector;
                break;
            case SubqueryExpr s:
                yield return s.Inner;
                break;
            case StepInvariantExpr si:
                yield return si.Inner;
                break;
        }
    }

    /// <summary>promql.PreprocessExpr: wraps every step-invariant part (one with an <c>@</c>) so it is evaluated once.</summary>
    private static Expr Preprocess(Expr expr) => PreprocessHelper(expr) ? new StepInvariantExpr(expr) : expr;

    private static bool PreprocessHelper(Expr expr)
    {
        switch (expr)
        {
            case VectorSelector v:
                return v.At != AtKind.None;
            case AggregateExpr a:
                return PreprocessHelper(a.Inner);
            case BinaryExpr b:
            {
                bool lhs = PreprocessHelper(b.Lhs);
                bool rhs = PreprocessHelper(b.Rhs);
                if (lhs && rhs)
                {
                    return true;
                }

                if (lhs)
                {
                    b.Lhs = new StepInvariantExpr(b.Lhs);
                }

                if (rhs)
                {
                    b.Rhs = new StepInvariantExpr(b.Rhs);
                }

                return false;
            }

            case Call c:
            {
                bool invariant = !FunctionDef.AtModifierUnsafe.Contains(c.Function.Name);
                var args = new bool[c.Args.Count];
                for (int i = 0; i < c.Args.Count; i++)
                {
                    args[i] = PreprocessHelper(c.Args[i]);
                    invariant &= args[i];
                }

                if (invariant)
                {
                    return true;
                }

                for (int i = 0; i < args.Length; i++)
                {
                    if (args[i])
                    {
                        c.Args[i] = new StepInvariantExpr(c.Args[i]);
                    }
                }

                return false;
            }

            case MatrixSelector m:
                return PreprocessHelper(m.Selector);
            case SubqueryExpr s:
                if (PreprocessHelper(s.Inner))
                {
                    s.Inner = new StepInvariantExpr(s.Inner);
                }

                return s.At != AtKind.None;
            case ParenExpr p:
                return PreprocessHelper(p.Inner);
            case UnaryExpr u:
                return PreprocessHelper(u.Inner);
            default:
                return true; // string and number literals
        }
    }

    /// <summary>parse.go's checkAST: types, argument counts, modifiers; the first problem is the error.</summary>
    private sealed class Checker(string input)
    {
        private PromQLException? _first;

        public void Check(Expr root)
        {
            CheckNode(root);
            if (_first is not null)
            {
                throw _first;
            }
        }

        private void Error(int position, string message) => _first ??= Fail(position, message);

        private void ExpectType(Expr node, PromType want, string context)
        {
            var t = CheckNode(node);
            if (t != want)
            {
                Error(node.Range.Start, $"expected type {want.Documented()} in {context}, got {t.Documented()}");
            }
        }

        private int OperatorPosition(BinaryExpr n)
        {
            int s = n.Lhs.Range.End;
            while (s < input.Length && input[s] is ' ' or '\t' or '\n' or '\r')
            {
                s++;
            }

            return s;
        }

        private PromType CheckNode(Expr node)
        {
            switch (node)
            {
                case AggregateExpr n:
                    ExpectType(n.Inner, PromType.Vector, "aggregation expression");
                    if (n.Op is ItemType.Topk or ItemType.Bottomk or ItemType.Quantile)
                    {
                        ExpectType(n.Param!, PromType.Scalar, "aggregation parameter");
                    }

                    if (n.Op == ItemType.CountValues)
                    {
                        ExpectType(n.Param!, PromType.String, "aggregation parameter");
                    }

                    break;
                case BinaryExpr n:
                {
                    var lt = CheckNode(n.Lhs);
                    var rt = CheckNode(n.Rhs);
                    var matching = n.Matching!;
                    if (n.ReturnBool && !n.Op.IsComparison())
                    {
                        Error(OperatorPosition(n), "bool modifier can only be used on comparison operators");
                    }

                    if (n.Op.IsComparison() && !n.ReturnBool && n.Rhs.Type == PromType.Scalar && n.Lhs.Type == PromType.Scalar)
                    {
                        Error(OperatorPosition(n), "comparisons between scalars must use BOOL modifier");
                    }

                    if (n.Op.IsSetOperator() && matching.Card == Cardinality.OneToOne)
                    {
                        matching.Card = Cardinality.ManyToMany;
                    }

                    foreach (string l1 in matching.MatchingLabels)
                    {
                        foreach (string l2 in matching.Include)
                        {
                            if (l1 == l2 && matching.On)
                            {
                                Error(OperatorPosition(n), $"label {GoText.Quote(l1)} must not occur in ON and GROUP clause at once");
                            }
                        }
                    }

                    if (lt is not (PromType.Scalar or PromType.Vector))
                    {
                        Error(n.Lhs.Range.Start, "binary expression must contain only scalar and instant vector types");
                    }

                    if (rt is not (PromType.Scalar or PromType.Vector))
                    {
                        Error(n.Rhs.Range.Start, "binary expression must contain only scalar and instant vector types");
                    }

                    if (lt != PromType.Vector || rt != PromType.Vector)
                    {
                        if (matching.MatchingLabels.Count > 0)
                        {
                            Error(n.Range.Start, "vector matching only allowed between instant vectors");
                        }

                        n.Matching = null;
                    }
                    else if (n.Op.IsSetOperator())
                    {
                        if (matching.Card is Cardinality.OneToMany or Cardinality.ManyToOne)
                        {
                            Error(n.Range.Start, $"no grouping allowed for {GoText.Quote(n.Op.Text())} operation");
                        }

                        if (matching.Card != Cardinality.ManyToMany)
                        {
                            Error(n.Range.Start, "set operations must always be many-to-many");
                        }
                    }

                    if ((lt == PromType.Scalar || rt == PromType.Scalar) && n.Op.IsSetOperator())
                    {
                        Error(n.Range.Start, $"set operator {GoText.Quote(n.Op.Text())} not allowed in binary scalar expression");
                    }

                    break;
                }

                case Call n:
                {
                    var f = n.Function;
                    int nargs = f.ArgTypes.Length;
                    string name = GoText.Quote(f.Name);
                    if (f.Variadic == 0)
                    {
                        if (nargs != n.Args.Count)
                        {
                            Error(n.Range.Start, $"expected {nargs} argument(s) in call to {name}, got {n.Args.Count}");
                        }
                    }
                    else
                    {
                        int na = nargs - 1;
                        if (na > n.Args.Count)
                        {
                            Error(n.Range.Start, $"expected at least {na} argument(s) in call to {name}, got {n.Args.Count}");
                        }
                        else if (f.Variadic > 0 && na + f.Variadic < n.Args.Count)
                        {
                            Error(n.Range.Start, $"expected at most {na + f.Variadic} argument(s) in call to {name}, got {n.Args.Count}");
                        }
                    }

                    for (int i = 0; i < n.Args.Count; i++)
                    {
                        int k = i;
                        if (k >= nargs)
                        {
                            if (f.Variadic == 0)
                            {
                                break;
                            }

                            k = nargs - 1;
                        }

                        ExpectType(n.Args[i], f.ArgTypes[k], $"call to function {name}");
                    }

                    break;
                }

                case ParenExpr n:
                    CheckNode(n.Inner);
                    break;
                case UnaryExpr n:
                {
                    var t = CheckNode(n.Inner);
                    if (t is not (PromType.Scalar or PromType.Vector))
                    {
                        Error(n.Range.Start, $"unary expression only allowed on expressions of type scalar or instant vector, got {GoText.Quote(t.Documented())}");
                    }

                    break;
                }

                case SubqueryExpr n:
                {
                    var t = CheckNode(n.Inner);
                    if (t != PromType.Vector)
                    {
                        Error(n.Range.Start, $"subquery is only allowed on instant vector, got {t.Raw()} instead");
                    }

                    break;
                }

                case MatrixSelector n:
                    CheckNode(n.Selector);
                    break;
                case VectorSelector n:
                    if (n.Name.Length > 0)
                    {
                        foreach (var m in n.Matchers.Take(n.Matchers.Count - 1))
                        {
                            if (m.Name == LabelSet.MetricName)
                            {
                                Error(n.Range.Start, $"metric name must not be set twice: {GoText.Quote(n.Name)} or {GoText.Quote(m.Value)}");
                            }
                        }

                        break;
                    }

                    if (!n.Matchers.Any(m => !m.Matches(string.Empty)))
                    {
                        Error(n.Range.Start, "vector selector must contain at least one non-empty matcher");
                    }

                    break;
            }

            return node.Type;
        }
    }
}
