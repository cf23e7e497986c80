using Monitor.GoCompat;

namespace Monitor.Templating;

/// <summary>A template's parse failure, with Go's text ("template: NAME:LINE: MSG").</summary>
internal sealed class TemplateParseException(string message) : Exception(message);

/// <summary>
/// Go's text/template parser (text/template/parse/parse.go, Go 1.19): actions, pipelines, variables with their
/// scopes, <c>if</c>/<c>else if</c>/<c>range</c>/<c>with</c>, <c>break</c>/<c>continue</c>, <c>define</c>,
/// <c>template</c> and <c>block</c>, with its checks that every function exists and every variable is declared.
/// </summary>
internal sealed class GoTemplateParser
{
    private readonly string _name;
    private readonly List<TemplateToken> _tokens;
    private readonly Func<string, bool> _hasFunction;
    private readonly Dictionary<string, ListNode> _templates;
    private int _next;
    private List<string> _vars = ["$"];
    private int _rangeDepth;
    private int _actionLine;

    private GoTemplateParser(string name, List<TemplateToken> tokens, Func<string, bool> hasFunction, Dictionary<string, ListNode> templates)
    {
        _name = name;
        _tokens = tokens;
        _hasFunction = hasFunction;
        _templates = templates;
    }

    /// <summary>Parses <paramref name="text"/>: the templates it defines, by name; <paramref name="name"/> is the main one.</summary>
    public static Dictionary<string, ListNode> Parse(string name, string text, Func<string, bool> hasFunction)
    {
        var templates = new Dictionary<string, ListNode>(StringComparer.Ordinal);
        var parser = new GoTemplateParser(name, GoTemplateLexer.Lex(text), hasFunction, templates);
        var root = parser.ParseRoot();
        parser.Add(name, root);
        return templates;
    }

    private void Add(string name, ListNode root)
    {
        if (!_templates.TryGetValue(name, out var existing) || IsEmpty(existing))
        {
            _templates[name] = root;
            return;
        }

        if (!IsEmpty(root))
        {
            Error($"template: multiple definition of template {GoText.Quote(name)}");
        }
    }

    private static bool IsEmpty(TemplateNode node) => node switch
    {
        ListNode list => list.Nodes.All(IsEmpty),
        TextNode text => string.IsNullOrWhiteSpace(text.Text),
        CommentNode => true,
        _ => false,
    };

    private TemplateToken Current => _tokens[Math.Max(0, Math.Min(_next - 1, _tokens.Count - 1))];

    private Exception Error(string message)
    {
        throw new TemplateParseException($"template: {_name}:{Current.Line}: {message}");
    }

    private TemplateToken Next()
    {
        var token = _tokens[Math.Min(_next, _tokens.Count - 1)];
        if (_next < _tokens.Count)
        {
            _next++;
        }

        return token;
    }

    private void Backup(int n = 1) => _next -= n;

    private TemplateToken Peek() => _tokens[Math.Min(_next, _tokens.Count - 1)];

    private TemplateToken NextNonSpace()
    {
        TemplateToken token;
        do
        {
            token = Next();
        }
        while (token.Type == TokenType.Space);
        return token;
    }

    private TemplateToken PeekNonSpace()
    {
        var token = NextNonSpace();
        Backup();
        return token;
    }

    private TemplateToken Expect(TokenType type, string context)
    {
        var token = NextNonSpace();
        if (token.Type != type)
        {
            Unexpected(token, context);
        }

        return token;
    }

    private void Unexpected(TemplateToken token, string context)
    {
        if (token.Type == TokenType.Error)
        {
            string extra = _actionLine != 0 && _actionLine != token.Line ? $" in action started at {_name}:{_actionLine}" : "";
            if (extra.Length > 0 && token.Value.EndsWith(" action", StringComparison.Ordinal))
            {
                extra = extra[" in action".Length..];
            }

            throw Error(token.Value + extra);
        }

        throw Error($"unexpected {token} in {context}");
    }

    private static bool IsKeyword(TemplateToken token, string keyword) => token.Type == TokenType.Keyword && token.Value == keyword;

    private ListNode ParseRoot()
    {
        var root = new ListNode(Peek().Pos);
        while (Peek().Type != TokenType.Eof)
        {
            if (Peek().Type == TokenType.LeftDelim)
            {
                var delim = Next();
                int mark = _next;
                if (IsKeyword(NextNonSpace(), "define"))
                {
                    _actionLine = delim.Line;
                    ParseDefinition();
                    _actionLine = 0;
                    continue;
                }

                _next = mark - 1;
            }

            var node = TextOrAction();
            if (node is EndNode or ElseNode)
            {
                throw Error($"unexpected {node}");
            }

            root.Nodes.Add(node);
        }

        return root;
    }

    private void ParseDefinition()
    {
        const string context = "define clause";
        var nameToken = NextNonSpace();
        if (nameToken.Type is not (TokenType.String or TokenType.RawString))
        {
            Unexpected(nameToken, context);
        }

        string name = GoText.Unquote(nameToken.Value) ?? throw Error("invalid syntax");
        Expect(TokenType.RightDelim, context);
        var savedVars = _vars;
        _vars = ["$"];
        var (list, end) = ItemList();
        _vars = savedVars;
        if (end is not EndNode)
        {
            throw Error($"unexpected {end} in {context}");
        }

        Add(name, list);
    }

    private (ListNode List, TemplateNode End) ItemList()
    {
        var list = new ListNode(PeekNonSpace().Pos);
        while (PeekNonSpace().Type != TokenType.Eof)
        {
            var node = TextOrAction();
            if (node is EndNode or ElseNode)
            {
                return (list, node);
            }

            list.Nodes.Add(node);
        }

        throw Error("unexpected EOF");
    }

    private TemplateNode TextOrAction()
    {
        var token = NextNonSpace();
        switch (token.Type)
        {
            case TokenType.Text:
                return new TextNode(token.Pos, token.Value);
            case TokenType.LeftDelim:
                _actionLine = token.Line;
                try
                {
                    return Action();
                }
                finally
                {
                    _actionLine = 0;
                }

            case TokenType.Comment:
                return new CommentNode(token.Pos, token.Value);
            default:
                Unexpected(token, "input");
                return null!;
        }
    }

    private TemplateNode Action()
    {
        var token = NextNonSpace();
        if (token.Type == TokenType.Keyword)
        {
            switch (token.Value)
            {
                case "block":
                    return BlockControl();
                case "break":
                    return LoopControl(token, "break");
                case "continue":
                    return LoopControl(token, "continue");
                case "else":
                    return ElseControl();
                case "end":
                    return new EndNode(Expect(TokenType.RightDelim, "end").Pos);
                case "if":
                    return Control(BranchKind.If, "if", allowElseIf: true);
                case "range":
                    return Control(BranchKind.Range, "range", allowElseIf: false);
                case "template":
                    return TemplateControl();
                case "with":
                    return Control(BranchKind.With, "with", allowElseIf: false);
            }
        }

        Backup();
        var start = Peek();
        return new ActionNode(start.Pos, start.Line, Pipeline("command", TokenType.RightDelim));
    }

    private TemplateNode LoopControl(TemplateToken keyword, string name)
    {
        var token = NextNonSpace();
        if (token.Type != TokenType.RightDelim)
        {
            Unexpected(token, $"{{{{{name}}}}}");
        }

        if (_rangeDepth == 0)
        {
            throw Error($"{{{{{name}}}}} outside {{{{range}}}}");
        }

        return name == "break" ? new BreakNode(keyword.Pos) : new ContinueNode(keyword.Pos);
    }

    private ElseNode ElseControl()
    {
        var peek = PeekNonSpace();
        if (IsKeyword(peek, "if"))
        {
            // "{{else if ...}}": the if is parsed as the else branch; one {{end}} closes both.
            return new ElseNode(peek.Pos);
        }

        return new ElseNode(Expect(TokenType.RightDelim, "else").Pos);
    }

    private BranchNode Control(BranchKind kind, string context, bool allowElseIf)
    {
        int varCount = _vars.Count;
        try
        {
            var pipe = Pipeline(context, TokenType.RightDelim);
            if (kind == BranchKind.Range)
            {
                _rangeDepth++;
            }

            var (list, next) = ItemList();
            if (kind == BranchKind.Range)
            {
                _rangeDepth--;
            }

            ListNode? elseList = null;
            if (next is ElseNode)
            {
                if (allowElseIf && IsKeyword(Peek(), "if"))
                {
                    Next();
                    elseList = new ListNode(next.Pos);
                    elseList.Nodes.Add(Control(BranchKind.If, "if", allowElseIf: true));
                }
                else
                {
                    (elseList, next) = ItemList();
                    if (next is not EndNode)
                    {
                        throw Error($"expected end; found {next}");
                    }
                }
            }

            return new BranchNode(kind, pipe.Pos, pipe, list, elseList);
        }
        finally
        {
            _vars.RemoveRange(varCount, _vars.Count - varCount);
        }
    }

    private string TemplateName(TemplateToken token, string context)
    {
        if (token.Type is TokenType.String or TokenType.RawString)
        {
            return GoText.Unquote(token.Value) ?? throw Error("invalid syntax");
        }

        Unexpected(token, context);
        return null!;
    }

    private TemplateCallNode TemplateControl()
    {
        const string context = "template clause";
        var token = NextNonSpace();
        string name = TemplateName(token, context);
        PipeNode? pipe = null;
        if (NextNonSpace().Type != TokenType.RightDelim)
        {
            Backup();
            pipe = Pipeline(context, TokenType.RightDelim);
        }

        return new TemplateCallNode(token.Pos, name, pipe);
    }

    private TemplateCallNode BlockControl()
    {
        const string context = "block clause";
        var token = NextNonSpace();
        string name = TemplateName(token, context);
        var pipe = Pipeline(context, TokenType.RightDelim);
        var savedVars = _vars;
        int savedDepth = _rangeDepth;
        _vars = ["$"];
        _rangeDepth = 0;
        var (list, end) = ItemList();
        _vars = savedVars;
        _rangeDepth = savedDepth;
        if (end is not EndNode)
        {
            throw Error($"unexpected {end} in {context}");
        }

        Add(name, list);
        return new TemplateCallNode(token.Pos, name, pipe);
    }

    private PipeNode Pipeline(string context, TokenType end)
    {
        var start = PeekNonSpace();
        var decl = new List<VariableNode>();
        bool isAssign = false;
        while (PeekNonSpace() is { Type: TokenType.Variable })
        {
            int mark = _next;
            var v = NextNonSpace();
            var next = PeekNonSpace();
            if (next.Type is TokenType.Assign or TokenType.Declare)
            {
                isAssign = next.Type == TokenType.Assign;
                NextNonSpace();
                decl.Add(new VariableNode(v.Pos, v.Value.Split('.')));
                _vars.Add(v.Value);
                break;
            }

            if (next.Type == TokenType.Comma)
            {
                NextNonSpace();
                decl.Add(new VariableNode(v.Pos, v.Value.Split('.')));
                _vars.Add(v.Value);
                if (context == "range" && decl.Count < 2)
                {
                    if (PeekNonSpace().Type is TokenType.Variable or TokenType.RightDelim or TokenType.RightParen)
                    {
                        continue;
                    }

                    throw Error("range can only initialize variables");
                }

                throw Error($"too many declarations in {context}");
            }

            // Not a declaration: the variable is the pipeline's first operand.
            _next = mark;
            break;
        }

        var pipe = new PipeNode(start.Pos, isAssign, decl);
        while (true)
        {
            var token = NextNonSpace();
            if (token.Type == end)
            {
                CheckPipeline(pipe, context);
                return pipe;
            }

            switch (token.Type)
            {
                case TokenType.Bool or TokenType.CharConstant or TokenType.Dot or TokenType.Field or TokenType.Identifier
                    or TokenType.Number or TokenType.RawString or TokenType.String or TokenType.Variable or TokenType.LeftParen:
                case TokenType.Keyword when token.Value == "nil":
                    Backup();
                    pipe.Cmds.Add(Command());
                    break;
                default:
                    Unexpected(token, context);
                    break;
            }
        }
    }

    private void CheckPipeline(PipeNode pipe, string context)
    {
        if (pipe.Cmds.Count == 0)
        {
            throw Error($"missing value for {context}");
        }

        for (int i = 1; i < pipe.Cmds.Count; i++)
        {
            if (pipe.Cmds[i].Args[0] is BoolNode or DotNode or NilNode or NumberNode or StringNode)
            {
                throw Error($"non executable command in pipeline stage {i + 1}");
            }
        }
    }

    private CommandNode Command()
    {
        var command = new CommandNode(PeekNonSpace().Pos);
        while (true)
        {
            PeekNonSpace();
            if (Operand() is { } operand)
            {
                command.Args.Add(operand);
            }

            var token = Next();
            if (token.Type == TokenType.Space)
            {
                continue;
            }

            if (token.Type is TokenType.RightDelim or TokenType.RightParen)
            {
                Backup();
            }
            else if (token.Type != TokenType.Pipe)
            {
                Unexpected(token, "operand");
            }

            break;
        }

        if (command.Args.Count == 0)
        {
            throw Error("empty command");
        }

        return command;
    }

    private TemplateNode? Operand()
    {
        var node = Term();
        if (node is null)
        {
            return null;
        }

        if (Peek().Type == TokenType.Field)
        {
            var chain = new ChainNode(Peek().Pos, node);
            while (Peek().Type == TokenType.Field)
            {
                chain.Fields.Add(Next().Value[1..]);
            }

            node = node switch
            {
                FieldNode field => new FieldNode(chain.Pos, [.. field.Idents, .. chain.Fields]),
                VariableNode variable => new VariableNode(chain.Pos, [.. variable.Idents, .. chain.Fields]),
                BoolNode or StringNode or NumberNode or NilNode or DotNode => throw Error($"unexpected . after term {GoText.Quote(node.ToString()!)}"),
                _ => chain,
            };
        }

        return node;
    }

    private TemplateNode? Term()
    {
        var token = NextNonSpace();
        switch (token.Type)
        {
            case TokenType.Identifier:
                if (!_hasFunction(token.Value))
                {
                    throw Error($"function {GoText.Quote(token.Value)} not defined");
                }

                return new IdentifierNode(token.Pos, token.Value);
            case TokenType.Dot:
                return new DotNode(token.Pos);
            case TokenType.Keyword when token.Value == "nil":
                return new NilNode(token.Pos);
            case TokenType.Variable:
                var variable = new VariableNode(token.Pos, token.Value.Split('.'));
                if (!_vars.Contains(variable.Idents[0]))
                {
                    throw Error($"undefined variable {GoText.Quote(variable.Idents[0])}");
                }

                return variable;
            case TokenType.Field:
                return new FieldNode(token.Pos, token.Value[1..].Split('.'));
            case TokenType.Bool:
                return new BoolNode(token.Pos, token.Value == "true");
            case TokenType.Number or TokenType.CharConstant:
                var number = NumberNode.Parse(token.Pos, token.Value, token.Type == TokenType.CharConstant, out string? error);
                return error is null ? number : throw Error(error);
            case TokenType.LeftParen:
                return Pipeline("parenthesized pipeline", TokenType.RightParen);
            case TokenType.String or TokenType.RawString:
                string text = GoText.Unquote(token.Value) ?? throw Error("invalid syntax");
                return new StringNode(token.Pos, token.Value, text);
        }

        Backup();
        return null;
    }
}
