using System.Globalization;
using Monitor.Configuration;

namespace Monitor.Rules.PromQL;

/// <summary>
/// Parses the PromQL of docs/alerting.md with Prometheus' precedence (lowest first): <c>or</c>;
/// <c>and unless</c>; comparisons; <c>+ -</c>; <c>* / %</c>; unary minus; <c>^</c> (right-associative).
/// Anything outside the subset is an error naming what is unsupported, never a silent skip.
/// </summary>
internal sealed class Parser
{
    private static readonly HashSet<string> Aggregations = new(StringComparer.Ordinal) { "sum", "avg", "min", "max", "count" };
    private static readonly HashSet<string> UnsupportedAggregations = new(StringComparer.Ordinal) { "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group" };

    private readonly List<Token> _tokens;
    private int _pos;

    private Parser(string input) => _tokens = Lexer.Tokenize(input);

    public static Expr Parse(string input)
    {
        var parser = new Parser(input);
        var expr = parser.ParseExpr(0);
        if (parser.Peek.Kind != TokenKind.Eof)
        {
            throw new PromQLException($"unexpected {Describe(parser.Peek)}", parser.Peek.Position);
        }

        return expr;
    }

    private Token Peek => _tokens[_pos];

    private Token Next() => _tokens[_pos++];

    private Token Expect(TokenKind kind, string what)
    {
        var token = Next();
        return token.Kind == kind ? token : throw new PromQLException($"unexpected {Describe(token)}, expected {what}", token.Position);
    }

    private static string Describe(Token token) => token.Kind == TokenKind.Eof ? "end of input" : $"\"{token.Text}\"";

    private static int Precedence(Token token) => token.Kind switch
    {
        TokenKind.Identifier when token.Text == "or" => 1,
        TokenKind.Identifier when token.Text is "and" or "unless" => 2,
        TokenKind.Eql or TokenKind.Neq or TokenKind.Gtr or TokenKind.Lss or TokenKind.Gte or TokenKind.Lte => 3,
        TokenKind.Add or TokenKind.Sub => 4,
        TokenKind.Mul or TokenKind.Div or TokenKind.Mod => 5,
        TokenKind.Pow => 7,
        _ => -1,
    };

    private const int UnaryPrecedence = 6;

    private Expr ParseExpr(int minPrecedence)
    {
        var lhs = ParseUnary();
        while (true)
        {
            var op = Peek;
            int precedence = Precedence(op);
            if (precedence < 0 || precedence < minPrecedence)
            {
                return lhs;
            }

            Next();
            bool isComparison = precedence == 3;
            bool isSet = precedence is 1 or 2;
            bool returnBool = false;
            if (Peek is { Kind: TokenKind.Identifier, Text: "bool" })
            {
                if (!isComparison)
                {
                    throw new PromQLException("bool modifier can only be used on comparison operators", Peek.Position);
                }

                Next();
                returnBool = true;
            }

            var matching = ParseMatching(isSet);
            // ^ is right-associative; every other operator is left-associative.
            var rhs = ParseExpr(op.Kind == TokenKind.Pow ? precedence : precedence + 1);
            lhs = CheckBinary(op, lhs, rhs, returnBool, matching);
        }
    }

    private static Binary CheckBinary(Token opToken, Expr lhs, Expr rhs, bool returnBool, VectorMatching? matching)
    {
        var op = opToken.Kind switch
        {
            TokenKind.Add => BinaryOp.Add,
            TokenKind.Sub => BinaryOp.Sub,
            TokenKind.Mul => BinaryOp.Mul,
            TokenKind.Div => BinaryOp.Div,
            TokenKind.Mod => BinaryOp.Mod,
            TokenKind.Pow => BinaryOp.Pow,
            TokenKind.Eql => BinaryOp.Eql,
            TokenKind.Neq => BinaryOp.Neq,
            TokenKind.Gtr => BinaryOp.Gtr,
            TokenKind.Lss => BinaryOp.Lss,
            TokenKind.Gte => BinaryOp.Gte,
            TokenKind.Lte => BinaryOp.Lte,
            _ => opToken.Text switch { "and" => BinaryOp.And, "or" => BinaryOp.Or, _ => BinaryOp.Unless },
        };
        var b = (Op: opToken, Lhs: lhs, Rhs: rhs, ReturnBool: returnBool, Matching: matching);
        bool isSet = op.IsSet();
        bool isComparison = op.IsComparison();
        foreach (var side in new[] { b.Lhs, b.Rhs })
        {
            if (side.Type is not (PromType.Scalar or PromType.Vector))
            {
                throw new PromQLException($"binary expression must contain only scalar and instant vector types", side.Position);
            }
        }

        bool bothScalar = b.Lhs.Type == PromType.Scalar && b.Rhs.Type == PromType.Scalar;
        if (isComparison && bothScalar && !b.ReturnBool)
        {
            throw new PromQLException("comparisons between scalars must use BOOL modifier", b.Op.Position);
        }

        if (isSet && (b.Lhs.Type != PromType.Vector || b.Rhs.Type != PromType.Vector))
        {
            throw new PromQLException($"set operator \"{b.Op.Text}\" not allowed in binary scalar expression", b.Op.Position);
        }

        if (b.Matching is not null && (b.Lhs.Type != PromType.Vector || b.Rhs.Type != PromType.Vector))
        {
            throw new PromQLException("vector matching only allowed between instant vectors", b.Op.Position);
        }

        return new Binary(op, b.Lhs, b.Rhs, b.ReturnBool, b.Matching, b.Op.Position);
    }

    private VectorMatching? ParseMatching(bool isSet)
    {
        if (Peek.Kind != TokenKind.Identifier || Peek.Text is not ("on" or "ignoring"))
        {
            return null;
        }

        bool on = Next().Text == "on";
        var labels = ParseLabelList();
        var cardinality = Cardinality.OneToOne;
        IReadOnlyList<string> include = [];
        if (Peek.Kind == TokenKind.Identifier && Peek.Text is "group_left" or "group_right")
        {
            if (isSet)
            {
                throw new PromQLException($"no grouping allowed for set operations", Peek.Position);
            }

            cardinality = Next().Text == "group_left" ? Cardinality.ManyToOne : Cardinality.OneToMany;
            if (Peek.Kind == TokenKind.LeftParen)
            {
                include = ParseLabelList();
            }
        }

        return new VectorMatching(cardinality, labels, on, include);
    }

    private List<string> ParseLabelList()
    {
        Expect(TokenKind.LeftParen, "\"(\"");
        var labels = new List<string>();
        while (Peek.Kind != TokenKind.RightParen)
        {
            var label = Expect(TokenKind.Identifier, "label name");
            if (!Names.IsLabelName(label.Text) && label.Text != "__name__")
            {
                throw new PromQLException($"invalid label name \"{label.Text}\"", label.Position);
            }

            labels.Add(label.Text);
            if (Peek.Kind != TokenKind.Comma)
            {
                break;
            }

            Next();
        }

        Expect(TokenKind.RightParen, "\")\" or \",\"");
        return labels;
    }

    private Expr ParseUnary()
    {
        if (Peek.Kind is TokenKind.Sub or TokenKind.Add)
        {
            var sign = Next();
            // -a^b is -(a^b): the operand may take a ^ but nothing weaker.
            var operand = ParseExpr(UnaryPrecedence + 1);
            if (operand.Type is not (PromType.Scalar or PromType.Vector))
            {
                throw new PromQLException("unary expression only allowed on expressions of type scalar or instant vector", operand.Position);
            }

            if (sign.Kind == TokenKind.Add)
            {
                return operand;
            }

            return operand is NumberLiteral n ? new NumberLiteral(-n.Value, sign.Position) : new Unary(operand, sign.Position);
        }

        return ParsePostfix(ParsePrimary());
    }

    private Expr ParsePostfix(Expr expr)
    {
        if (Peek.Kind == TokenKind.LeftBracket)
        {
            var bracket = Next();
            if (expr is not VectorSelector selector)
            {
                throw new PromQLException("ranges only allowed for vector selectors", bracket.Position);
            }

            var duration = Expect(TokenKind.Duration, "a duration such as 5m");
            if (!PromDuration.TryParse(duration.Text, out var range) || range == TimeSpan.Zero)
            {
                throw new PromQLException($"invalid duration \"{duration.Text}\"", duration.Position);
            }

            if (Peek.Kind == TokenKind.Colon || (Peek.Kind == TokenKind.Identifier && Peek.Text.StartsWith(':')))
            {
                throw new PromQLException("subqueries are not supported by Monitor's rule engine", Peek.Position);
            }

            Expect(TokenKind.RightBracket, "\"]\"");
            expr = new MatrixSelector(selector, range, selector.Position);
        }

        if (Peek is { Kind: TokenKind.Identifier, Text: "offset" } || Peek.Kind == TokenKind.Identifier && Peek.Text == "@")
        {
            throw new PromQLException("offset modifiers are not supported by Monitor's rule engine", Peek.Position);
        }

        return expr;
    }

    private Expr ParsePrimary()
    {
        var token = Peek;
        switch (token.Kind)
        {
            case TokenKind.Number:
                Next();
                return new NumberLiteral(ParseNumber(token), token.Position);
            case TokenKind.String:
                Next();
                return new StringLiteral(token.Text, token.Position);
            case TokenKind.LeftParen:
                Next();
                var inner = ParseExpr(0);
                Expect(TokenKind.RightParen, "\")\"");
                return new Paren(inner, token.Position);
            case TokenKind.LeftBrace:
                return ParseSelector(null, token.Position);
            case TokenKind.Identifier:
                return ParseIdentifier();
            default:
                throw new PromQLException($"unexpected {Describe(token)}", token.Position);
        }
    }

    private static double ParseNumber(Token token)
    {
        string text = token.Text;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return long.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new PromQLException($"invalid number \"{text}\"", token.Position);
    }

    private Expr ParseIdentifier()
    {
        var token = Next();
        string name = token.Text;
        string lower = name.ToLowerInvariant();
        if (lower is "inf" or "nan" && Peek.Kind != TokenKind.LeftParen && Peek.Kind != TokenKind.LeftBrace)
        {
            return new NumberLiteral(lower == "inf" ? double.PositiveInfinity : double.NaN, token.Position);
        }

        if (Aggregations.Contains(name) && (Peek.Kind == TokenKind.LeftParen || Peek is { Kind: TokenKind.Identifier, Text: "by" or "without" }))
        {
            return ParseAggregation(token);
        }

        if (UnsupportedAggregations.Contains(name) && Peek.Kind == TokenKind.LeftParen)
        {
            throw new PromQLException($"aggregation \"{name}\" is not supported by Monitor's rule engine (supported: sum, avg, min, max, count)", token.Position);
        }

        if (Peek.Kind == TokenKind.LeftParen)
        {
            if (!FunctionDef.All.TryGetValue(name, out var function))
            {
                throw new PromQLException($"function \"{name}\" is not supported by Monitor's rule engine (supported: {string.Join(", ", FunctionDef.All.Keys.Order(StringComparer.Ordinal))})", token.Position);
            }

            return ParseCall(function, token.Position);
        }

        if (name is "by" or "without" or "on" or "ignoring" or "group_left" or "group_right" or "bool" or "and" or "or" or "unless" or "offset")
        {
            throw new PromQLException($"unexpected keyword \"{name}\"", token.Position);
        }

        return ParseSelector(name, token.Position);
    }

    private Call ParseCall(FunctionDef function, int position)
    {
        Next(); // (
        var args = new List<Expr>();
        while (Peek.Kind != TokenKind.RightParen)
        {
            args.Add(ParseExpr(0));
            if (Peek.Kind != TokenKind.Comma)
            {
                break;
            }

            Next();
        }

        Expect(TokenKind.RightParen, "\")\" or \",\"");
        int min = function.ArgTypes.Length - function.OptionalArgs;
        if (args.Count < min || args.Count > function.ArgTypes.Length)
        {
            throw new PromQLException($"expected {function.ArgTypes.Length} argument(s) in call to \"{function.Name}\", got {args.Count}", position);
        }

        for (int i = 0; i < args.Count; i++)
        {
            if (args[i].Type != function.ArgTypes[i])
            {
                throw new PromQLException($"expected type {TypeName(function.ArgTypes[i])} in call to function \"{function.Name}\", got {TypeName(args[i].Type)}", args[i].Position);
            }
        }

        return new Call(function, args, position);
    }

    internal static string TypeName(PromType type) => type switch
    {
        PromType.Scalar => "scalar",
        PromType.Vector => "instant vector",
        PromType.Matrix => "range vector",
        _ => "string",
    };

    private Aggregate ParseAggregation(Token op)
    {
        IReadOnlyList<string> grouping = [];
        bool without = false;
        bool hasGrouping = false;
        if (Peek is { Kind: TokenKind.Identifier, Text: "by" or "without" })
        {
            without = Next().Text == "without";
            grouping = ParseLabelList();
            hasGrouping = true;
        }

        Expect(TokenKind.LeftParen, "\"(\"");
        var inner = ParseExpr(0);
        if (Peek.Kind == TokenKind.Comma)
        {
            throw new PromQLException($"aggregation \"{op.Text}\" takes one argument", Peek.Position);
        }

        Expect(TokenKind.RightParen, "\")\"");
        if (!hasGrouping && Peek is { Kind: TokenKind.Identifier, Text: "by" or "without" })
        {
            without = Next().Text == "without";
            grouping = ParseLabelList();
        }

        if (inner.Type != PromType.Vector)
        {
            throw new PromQLException($"expected type instant vector in aggregation expression, got {TypeName(inner.Type)}", inner.Position);
        }

        return new Aggregate(op.Text, inner, grouping, without, op.Position);
    }

    private VectorSelector ParseSelector(string? name, int position)
    {
        var matchers = new List<LabelMatcher>();
        if (Peek.Kind == TokenKind.LeftBrace)
        {
            Next();
            while (Peek.Kind != TokenKind.RightBrace)
            {
                var label = Expect(TokenKind.Identifier, "label name");
                var opToken = Next();
                var type = opToken.Kind switch
                {
                    TokenKind.Assign => MatcherType.Equal,
                    TokenKind.Neq => MatcherType.NotEqual,
                    TokenKind.EqlRegex => MatcherType.Regex,
                    TokenKind.NeqRegex => MatcherType.NotRegex,
                    _ => throw new PromQLException($"unexpected {Describe(opToken)} in label matching, expected one of \"=\", \"!=\", \"=~\", \"!~\"", opToken.Position),
                };
                var value = Expect(TokenKind.String, "a quoted label value");
                try
                {
                    matchers.Add(new LabelMatcher(label.Text, type, value.Text));
                }
                catch (ArgumentException e)
                {
                    throw new PromQLException($"invalid regular expression \"{value.Text}\": {e.Message}", value.Position);
                }

                if (Peek.Kind != TokenKind.Comma)
                {
                    break;
                }

                Next();
            }

            Expect(TokenKind.RightBrace, "\"}\" or \",\"");
        }

        if (name is not null)
        {
            if (matchers.Any(m => m.Name == "__name__"))
            {
                throw new PromQLException($"metric name must not be set twice: \"{name}\"", position);
            }

            matchers.Insert(0, new LabelMatcher("__name__", MatcherType.Equal, name));
        }

        if (!matchers.Any(m => !m.Matches(string.Empty)))
        {
            throw new PromQLException("vector selector must contain at least one non-empty matcher", position);
        }

        return new VectorSelector(name, matchers, position);
    }
}
