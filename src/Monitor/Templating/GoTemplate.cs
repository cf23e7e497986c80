using System.Text;
using Monitor.GoCompat;

namespace Monitor.Templating;

/// <summary>A template's execution failure, with Go's text ("template: NAME:LINE:COL: executing ...").</summary>
internal sealed class TemplateExecException(string message) : Exception(message);

/// <summary>What a template function reports as its error (Go's second result); the call fails with it.</summary>
internal sealed class TemplateFunctionException(string message) : Exception(message);

/// <summary>The Go type of a template function's parameter, as text/template converts arguments to it.</summary>
internal enum GoParam
{
    /// <summary>interface{}: any value; constants become int or float64.</summary>
    Any,

    /// <summary>reflect.Value (the builtins): any value, unconverted.</summary>
    Reflect,
    String,
    Float64,
    Sample,
    QueryResult,
}

/// <summary>A function a template may call: its parameters (the last one repeated when variadic) and body.</summary>
internal sealed record TemplateFunction(GoParam[] Params, bool Variadic, Func<object?[], object?> Invoke);

/// <summary>
/// A parsed Go text/template (Go 1.19 semantics, <c>missingkey=zero</c>) and its execution: the builtins
/// (and, or, not, len, index, slice, print, printf, println, html, js, urlquery, eq, ne, lt, le, gt, ge, call)
/// plus the functions it was parsed with.
/// </summary>
internal sealed class GoTemplate
{
    private const int MaxExecDepth = 1000;
    private static readonly object Missing = new();

    private static readonly HashSet<string> BuiltinNames = new(StringComparer.Ordinal)
    {
        "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "html", "js", "urlquery",
        "eq", "ne", "lt", "le", "gt", "ge", "call",
    };

    private readonly string _text;
    private readonly Dictionary<string, ListNode> _templates;

    private GoTemplate(string name, string text, Dictionary<string, ListNode> templates)
    {
        Name = name;
        _text = text;
        _templates = templates;
    }

    public string Name { get; }

    /// <summary>
    /// The queries the template passes to <paramref name="function"/> as string literals (<c>query "up"</c>,
    /// <c>"up" | query</c>), and whether it also passes one it computes (<c>printf ... | query</c>).
    /// </summary>
    public (List<string> Literals, bool Computed) LiteralArguments(string function)
    {
        var literals = new List<string>();
        bool computed = false;

        void Visit(TemplateNode? node)
        {
            switch (node)
            {
                case ListNode list:
                    list.Nodes.ForEach(Visit);
                    break;
                case ActionNode action:
                    Visit(action.Pipe);
                    break;
                case BranchNode branch:
                    Visit(branch.Pipe);
                    Visit(branch.List);
                    Visit(branch.ElseList);
                    break;
                case TemplateCallNode call:
                    Visit(call.Pipe);
                    break;
                case ChainNode chain:
                    Visit(chain.Node);
                    break;
                case PipeNode pipe:
                    for (int i = 0; i < pipe.Cmds.Count; i++)
                    {
                        var args = pipe.Cmds[i].Args;
                        if (args[0] is IdentifierNode { Name: var name } && name == function)
                        {
                            if (args is [_, StringNode literal])
                            {
                                literals.Add(literal.Text);
                            }
                            else if (args.Count == 1 && i > 0 && pipe.Cmds[i - 1].Args is [StringNode piped])
                            {
                                literals.Add(piped.Text);
                            }
                            else
                            {
                                computed = true;
                            }
                        }

                        // The first word names the command's function; only the others are operands.
                        args.Skip(args[0] is IdentifierNode ? 1 : 0).ToList().ForEach(Visit);
                    }

                    break;
                case IdentifierNode { Name: var bare } when bare == function:
                    computed = true;
                    break;
            }
        }

        foreach (var root in _templates.Values)
        {
            Visit(root);
        }

        return (literals, computed);
    }

    /// <summary>
    /// Parses <paramref name="text"/>, whose functions are the builtins and those <paramref name="hasFunction"/>
    /// knows; throws <see cref="TemplateParseException"/> with Go's error text.
    /// </summary>
    public static GoTemplate Parse(string name, string text, Func<string, bool> hasFunction)
    {
        var templates = GoTemplateParser.Parse(name, text, f => BuiltinNames.Contains(f) || hasFunction(f));
        return new GoTemplate(name, text, templates);
    }

    /// <summary>Runs the template on <paramref name="data"/> with <paramref name="funcs"/>; throws <see cref="TemplateExecException"/>.</summary>
    public string Execute(object? data, IReadOnlyDictionary<string, TemplateFunction> funcs)
    {
        var state = new State(this, funcs, Name, [new Variable("$", data)], 0);
        state.Walk(data, _templates[Name]);
        return state.Output.ToString();
    }

    private sealed class Variable(string name, object? value)
    {
        public string Name { get; } = name;

        public object? Value { get; set; } = value;
    }

    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    private sealed class State(GoTemplate template, IReadOnlyDictionary<string, TemplateFunction> funcs, string name, List<Variable> vars, int depth)
    {
        private TemplateNode? _node;

        public StringBuilder Output { get; init; } = new();

        private TemplateExecException Error(string message)
        {
            if (_node is null)
            {
                return new TemplateExecException($"template: {name}: {message}");
            }

            var (line, column) = GoTemplateLexer.Location(template._text, _node.Pos);
            string context = _node.ToString() ?? "";
            return new TemplateExecException($"template: {template.Name}:{line}:{column}: executing {GoText.Quote(name)} at <{context}>: {message}");
        }

        private void At(TemplateNode node) => _node = node;

        public Flow Walk(object? dot, TemplateNode node)
        {
            At(node);
            switch (node)
            {
                case ActionNode action:
                    object? value = EvalPipeline(dot, action.Pipe);
                    if (action.Pipe.Decl.Count == 0)
                    {
                        PrintValue(action, value);
                    }

                    return Flow.Normal;
                case BreakNode:
                    return Flow.Break;
                case ContinueNode:
                    return Flow.Continue;
                case CommentNode:
                    return Flow.Normal;
                case BranchNode { Kind: BranchKind.Range } range:
                    return WalkRange(dot, range);
                case BranchNode branch:
                    return WalkIfOrWith(dot, branch);
                case ListNode list:
                    foreach (var child in list.Nodes)
                    {
                        var flow = Walk(dot, child);
                        if (flow != Flow.Normal)
                        {
                            return flow;
                        }
                    }

                    return Flow.Normal;
                case TemplateCallNode call:
                    WalkTemplate(dot, call);
                    return Flow.Normal;
                case TextNode text:
                    Output.Append(text.Text);
                    return Flow.Normal;
                default:
                    throw Error($"unknown node: {node}");
            }
        }

        private Flow WalkIfOrWith(object? dot, BranchNode branch)
        {
            int mark = vars.Count;
            try
            {
                object? value = EvalPipeline(dot, branch.Pipe);
                if (IsTrue(value))
                {
                    return Walk(branch.Kind == BranchKind.With ? value : dot, branch.List);
                }

                return branch.ElseList is null ? Flow.Normal : Walk(dot, branch.ElseList);
            }
            finally
            {
                vars.RemoveRange(mark, vars.Count - mark);
            }
        }

        private Flow WalkRange(object? dot, BranchNode range)
        {
            At(range);
            int outer = vars.Count;
            try
            {
                object? value = EvalPipeline(dot, range.Pipe);
                int mark = vars.Count;
                var items = new List<(object? Key, object? Element)>();
                switch (value)
                {
                    case null:
                        break;
                    case string:
                    case long:
                    case double:
                    case bool:
                    case SampleValue:
                    case GoStruct:
                    case HtmlString:
                    case TimeValue:
                        throw Error($"range can't iterate over {GoFmt.Value(value)}");
                    case QueryResult result:
                        items.AddRange(result.Select((s, i) => ((object?)(long)i, (object?)s)));
                        break;
                    case IReadOnlyDictionary<string, string> map:
                        items.AddRange(map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => ((object?)p.Key, (object?)p.Value)));
                        break;
                    case GoAnyMap anyMap:
                        items.AddRange(anyMap.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => ((object?)p.Key, p.Value)));
                        break;
                    case List<object?> list:
                        items.AddRange(list.Select((e, i) => ((object?)(long)i, e)));
                        break;
                    default:
                        throw Error($"range can't iterate over {GoFmt.Value(value)}");
                }

                foreach (var (key, element) in items)
                {
                    if (range.Pipe.Decl.Count > 0)
                    {
                        vars[^1].Value = element;
                    }

                    if (range.Pipe.Decl.Count > 1)
                    {
                        vars[^2].Value = key;
                    }

                    var flow = Walk(element, range.List);
                    vars.RemoveRange(mark, vars.Count - mark);
                    if (flow == Flow.Break)
                    {
                        break;
                    }
                }

                if (items.Count == 0 && range.ElseList is not null)
                {
                    return Walk(dot, range.ElseList);
                }

                return Flow.Normal;
            }
            finally
            {
                vars.RemoveRange(outer, vars.Count - outer);
            }
        }

        private void WalkTemplate(object? dot, TemplateCallNode call)
        {
            At(call);
            if (!template._templates.TryGetValue(call.Name, out var root))
            {
                throw Error($"template {GoText.Quote(call.Name)} not defined");
            }

            if (depth == MaxExecDepth)
            {
                throw Error($"exceeded maximum template depth ({MaxExecDepth})");
            }

            object? newDot = call.Pipe is null ? null : EvalPipeline(dot, call.Pipe);
            var inner = new State(template, funcs, call.Name, [new Variable("$", newDot)], depth + 1) { Output = Output };
            inner.Walk(newDot, root);
        }

        private static bool IsTrue(object? value) => value switch
        {
            null => false,
            bool b => b,
            long l => l != 0,
            double d => d != 0,
            string s => s.Length > 0,
            HtmlString h => h.Text.Length > 0,
            IReadOnlyDictionary<string, string> m => m.Count > 0,
            GoAnyMap m => m.Count > 0,
            QueryResult q => q.Count > 0,
            List<object?> l => l.Count > 0,
            _ => true,
        };

        private object? EvalPipeline(object? dot, PipeNode pipe)
        {
            At(pipe);
            object? value = Missing;
            foreach (var command in pipe.Cmds)
            {
                value = EvalCommand(dot, command, value);
            }

            foreach (var variable in pipe.Decl)
            {
                if (pipe.IsAssign)
                {
                    SetVar(variable.Idents[0], value);
                }
                else
                {
                    vars.Add(new Variable(variable.Idents[0], value));
                }
            }

            return value;
        }

        private void SetVar(string variable, object? value)
        {
            for (int i = vars.Count - 1; i >= 0; i--)
            {
                if (vars[i].Name == variable)
                {
                    vars[i].Value = value;
                    return;
                }
            }

            throw Error($"undefined variable: {variable}");
        }

        private object? VarValue(string variable)
        {
            for (int i = vars.Count - 1; i >= 0; i--)
            {
                if (vars[i].Name == variable)
                {
                    return vars[i].Value;
                }
            }

            throw Error($"undefined variable: {variable}");
        }

        private void NotAFunction(List<TemplateNode> args, object? final)
        {
            if (args.Count > 1 || final != Missing)
            {
                throw Error($"can't give argument to non-function {args[0]}");
            }
        }

        private object? EvalCommand(object? dot, CommandNode command, object? final)
        {
            var first = command.Args[0];
            switch (first)
            {
                case FieldNode field:
                    At(field);
                    return EvalFieldChain(dot, dot, field, field.Idents, command.Args, final);
                case ChainNode chain:
                    return EvalChain(dot, chain, command.Args, final);
                case IdentifierNode identifier:
                    return EvalFunction(dot, identifier, command, command.Args, final);
                case PipeNode pipe:
                    NotAFunction(command.Args, final);
                    return EvalPipeline(dot, pipe);
                case VariableNode variable:
                    return EvalVariable(dot, variable, command.Args, final);
            }

            At(first);
            NotAFunction(command.Args, final);
            return first switch
            {
                BoolNode b => b.Value,
                DotNode => dot,
                NilNode => throw Error("nil is not a command"),
                NumberNode n => IdealConstant(n),
                StringNode s => s.Text,
                _ => throw Error($"can't evaluate command {first}"),
            };
        }

        private object? IdealConstant(NumberNode n)
        {
            At(n);
            bool hexOrRune = n.Text.StartsWith('\'') || n.Text.TrimStart('+', '-').StartsWith("0x", StringComparison.OrdinalIgnoreCase);
            if (n.IsFloat && !hexOrRune && n.Text.AsSpan().ContainsAny(".eEpP"))
            {
                return n.Float;
            }

            if (n.IsInt)
            {
                return n.Int;
            }

            return null;
        }

        private object? EvalChain(object? dot, ChainNode chain, List<TemplateNode>? args, object? final)
        {
            At(chain);
            if (chain.Fields.Count == 0)
            {
                throw Error("internal error: no fields in evalChainNode");
            }

            if (chain.Node is NilNode)
            {
                throw Error($"indirection through explicit nil in {chain}");
            }

            object? pipe = EvalArg(dot, GoParam.Any, chain.Node, constantsAsIdeal: true);
            return EvalFieldChain(dot, pipe, chain, [.. chain.Fields], args, final);
        }

        private object? EvalVariable(object? dot, VariableNode variable, List<TemplateNode>? args, object? final)
        {
            At(variable);
            object? value = VarValue(variable.Idents[0]);
            if (variable.Idents.Length == 1)
            {
                if (args is not null)
                {
                    NotAFunction(args, final);
                }

                return value;
            }

            return EvalFieldChain(dot, value, variable, variable.Idents[1..], args, final);
        }

        private object? EvalFieldChain(object? dot, object? receiver, TemplateNode node, string[] idents, List<TemplateNode>? args, object? final)
        {
            for (int i = 0; i < idents.Length - 1; i++)
            {
                receiver = EvalField(idents[i], receiver, hasArgs: false);
            }

            bool hasArgs = (args is not null && args.Count > 1) || final != Missing;
            return EvalField(idents[^1], receiver, hasArgs);
        }

        private object? EvalField(string field, object? receiver, bool hasArgs)
        {
            switch (receiver)
            {
                case null:
                    return null;
                case GoStruct s when s.TryGet(field, out var value):
                    return hasArgs ? throw Error($"{field} has arguments but cannot be invoked as function") : value;
                case IReadOnlyDictionary<string, string> map:
                    return hasArgs ? throw Error($"{field} is not a method but has arguments") : map.GetValueOrDefault(field, "");
                case GoAnyMap anyMap:
                    return hasArgs ? throw Error($"{field} is not a method but has arguments") : anyMap.GetValueOrDefault(field);
                case SampleValue sample when field is "Labels" or "Value":
                    return hasArgs ? throw Error($"{field} has arguments but cannot be invoked as function") : field == "Labels" ? sample.Labels : sample.Value;
                case TimeValue time when !hasArgs && field is "Unix" or "UnixMilli" or "String":
                    return field switch
                    {
                        "Unix" => Math.DivRem(time.UnixMilliseconds, 1000, out long rem) - (rem < 0 ? 1 : 0),
                        "UnixMilli" => time.UnixMilliseconds,
                        _ => GoFmt.FormatTime(time.UnixMilliseconds),
                    };
            }

            throw Error($"can't evaluate field {field} in type {GoValues.TypeName(receiver)}");
        }

        private object? EvalFunction(object? dot, IdentifierNode identifier, CommandNode command, List<TemplateNode> args, object? final)
        {
            At(identifier);
            string function = identifier.Name;
            if (BuiltinNames.Contains(function))
            {
                return EvalBuiltin(dot, function, command, args, final);
            }

            if (!funcs.TryGetValue(function, out var definition))
            {
                throw Error($"{GoText.Quote(function)} is not a defined function");
            }

            var argv = EvalArgs(dot, function, definition.Params, definition.Variadic, args, final);
            try
            {
                return definition.Invoke(argv);
            }
            catch (TemplateFunctionException e)
            {
                At(command);
                throw Error($"error calling {function}: {e.Message}");
            }
            catch (NullReferenceException)
            {
                At(command);
                throw Error($"error calling {function}: runtime error: invalid memory address or nil pointer dereference");
            }
        }

        private object?[] EvalArgs(object? dot, string function, GoParam[] parameters, bool variadic, List<TemplateNode> args, object? final)
        {
            int given = args.Count - 1 + (final != Missing ? 1 : 0);
            int numFixed = variadic ? parameters.Length - 1 : parameters.Length;
            if (variadic ? given < numFixed : given != parameters.Length)
            {
                throw Error(variadic
                    ? $"wrong number of args for {function}: want at least {numFixed} got {args.Count - 1}"
                    : $"wrong number of args for {function}: want {parameters.Length} got {given}");
            }

            var argv = new object?[given];
            int i = 0;
            for (; i < args.Count - 1; i++)
            {
                var type = i < numFixed ? parameters[i] : parameters[^1];
                argv[i] = EvalArg(dot, type, args[i + 1], constantsAsIdeal: false);
            }

            if (final != Missing)
            {
                var type = i < numFixed ? parameters[i] : parameters[^1];
                argv[i] = ValidateType(final, type);
            }

            return argv;
        }

        private static string GoTypeName(GoParam type) => type switch
        {
            GoParam.Any => "interface {}",
            GoParam.Reflect => "reflect.Value",
            GoParam.String => "string",
            GoParam.Float64 => "float64",
            GoParam.Sample => "*template.sample",
            _ => "template.queryResult",
        };

        private object? ValidateType(object? value, GoParam type)
        {
            if (value is null)
            {
                return type switch
                {
                    GoParam.Any or GoParam.Reflect or GoParam.Sample or GoParam.QueryResult => null,
                    _ => throw Error($"invalid value; expected {GoTypeName(type)}"),
                };
            }

            bool ok = type switch
            {
                GoParam.Any or GoParam.Reflect => true,
                GoParam.String => value is string,
                GoParam.Float64 => value is double,
                GoParam.Sample => value is SampleValue,
                _ => value is QueryResult,
            };
            return ok ? value : throw Error($"wrong type for value; expected {GoTypeName(type)}; got {GoValues.TypeName(value)}");
        }

        private object? EvalArg(object? dot, GoParam type, TemplateNode node, bool constantsAsIdeal)
        {
            At(node);
            switch (node)
            {
                case DotNode:
                    return ValidateType(dot, type);
                case NilNode:
                    return type is GoParam.Any or GoParam.Reflect or GoParam.Sample or GoParam.QueryResult ? null : throw Error($"cannot assign nil to {GoTypeName(type)}");
                case FieldNode field:
                    return ValidateType(EvalFieldChain(dot, dot, field, field.Idents, [node], Missing), type);
                case VariableNode variable:
                    return ValidateType(EvalVariable(dot, variable, null, Missing), type);
                case PipeNode pipe:
                    return ValidateType(EvalPipeline(dot, pipe), type);
                case IdentifierNode identifier:
                    return ValidateType(EvalFunction(dot, identifier, new CommandNode(identifier.Pos) { Args = { identifier } }, [identifier], Missing), type);
                case ChainNode chain:
                    return ValidateType(EvalChain(dot, chain, null, Missing), type);
            }

            switch (type)
            {
                case GoParam.Any or GoParam.Reflect:
                    return node switch
                    {
                        BoolNode b => b.Value,
                        NumberNode n => IdealConstant(n),
                        StringNode s => s.Text,
                        _ => throw Error($"can't handle {node} for arg of type {GoTypeName(type)}"),
                    };
                case GoParam.String:
                    return node is StringNode str ? str.Text : throw Error($"expected string; found {node}");
                case GoParam.Float64:
                    return node is NumberNode { IsFloat: true } num ? num.Float : throw Error($"expected float; found {node}");
                default:
                    _ = constantsAsIdeal;
                    throw Error($"can't handle {node} for arg of type {GoTypeName(type)}");
            }
        }

        private void PrintValue(TemplateNode node, object? value)
        {
            At(node);
            Output.Append(value is null ? "<no value>" : value is SampleValue s ? GoFmt.Value(new GoStruct("template.sample", [new("Labels", s.Labels), new("Value", s.Value)])) : GoFmt.Value(value));
        }

        private object? EvalBuiltin(object? dot, string function, CommandNode command, List<TemplateNode> args, object? final)
        {
            if (function is "and" or "or")
            {
                if (args.Count - 1 + (final != Missing ? 1 : 0) < 1)
                {
                    throw Error($"wrong number of args for {function}: want at least 1 got 0");
                }

                object? last = null;
                for (int i = 1; i < args.Count; i++)
                {
                    last = EvalArg(dot, GoParam.Reflect, args[i], constantsAsIdeal: true);
                    if (IsTrue(last) == (function == "or"))
                    {
                        return last;
                    }
                }

                return final != Missing ? final : last;
            }

            (GoParam[] parameters, bool variadic) = function switch
            {
                "not" or "len" => ([GoParam.Reflect], false),
                "ne" or "lt" or "le" or "gt" or "ge" => ([GoParam.Reflect, GoParam.Reflect], false),
                "index" or "slice" or "eq" or "call" => ([GoParam.Reflect, GoParam.Reflect], true),
                "printf" => ([GoParam.String, GoParam.Any], true),
                _ => (new[] { GoParam.Any }, true),
            };
            var argv = EvalArgs(dot, function, parameters, variadic, args, final);
            try
            {
                return function switch
                {
                    "not" => !IsTrue(argv[0]),
                    "len" => Length(argv[0]),
                    "index" => Index(argv[0], argv[1..]),
                    "slice" => Slice(argv[0], argv[1..]),
                    "print" => GoFmt.Sprint(argv),
                    "println" => GoFmt.Sprintln(argv),
                    "printf" => GoFmt.Sprintf((string)argv[0]!, argv[1..]),
                    "html" => HtmlEscape(EvalArgsText(argv)),
                    "js" => JsEscape(EvalArgsText(argv)),
                    "urlquery" => Uri.EscapeDataString(EvalArgsText(argv)).Replace("%20", "+", StringComparison.Ordinal)
                        .Replace("!", "%21", StringComparison.Ordinal).Replace("'", "%27", StringComparison.Ordinal)
                        .Replace("(", "%28", StringComparison.Ordinal).Replace(")", "%29", StringComparison.Ordinal).Replace("*", "%2A", StringComparison.Ordinal),
                    "eq" => Equal(argv[0], argv[1..]),
                    "ne" => !Equal(argv[0], [argv[1]]),
                    "lt" => Less(argv[0], argv[1]),
                    "le" => Less(argv[0], argv[1]) || Equal(argv[0], [argv[1]]),
                    "gt" => !Less(argv[0], argv[1]) && !Equal(argv[0], [argv[1]]),
                    "ge" => !Less(argv[0], argv[1]),
                    _ => throw new TemplateFunctionException($"non-function of type {GoValues.TypeName(argv[0])}"),
                };
            }
            catch (TemplateFunctionException e)
            {
                At(command);
                throw Error($"error calling {function}: {e.Message}");
            }
        }

        private static string EvalArgsText(object?[] args) =>
            args is [string s] ? s : GoFmt.Sprint(args);

        private static long Length(object? value) => value switch
        {
            string s => Encoding.UTF8.GetByteCount(s),
            HtmlString h => Encoding.UTF8.GetByteCount(h.Text),
            IReadOnlyDictionary<string, string> m => m.Count,
            GoAnyMap m => m.Count,
            QueryResult q => q.Count,
            List<object?> l => l.Count,
            null => throw new TemplateFunctionException("reflect: call of reflect.Value.Type on zero Value"),
            _ => throw new TemplateFunctionException($"len of type {GoValues.TypeName(value)}"),
        };

        private static object? Index(object? item, object?[] indexes)
        {
            if (item is null)
            {
                throw new TemplateFunctionException("index of untyped nil");
            }

            foreach (var index in indexes)
            {
                switch (item)
                {
                    case IReadOnlyDictionary<string, string> map:
                        item = index is string key ? map.GetValueOrDefault(key, "") : throw new TemplateFunctionException($"value has type {GoValues.TypeName(index)}; should be string");
                        break;
                    case GoAnyMap anyMap:
                        item = index is string anyKey ? anyMap.GetValueOrDefault(anyKey) : throw new TemplateFunctionException($"value has type {GoValues.TypeName(index)}; should be string");
                        break;
                    case QueryResult or List<object?> or string:
                        int count = item is string str ? Encoding.UTF8.GetByteCount(str) : item is QueryResult q ? q.Count : ((List<object?>)item).Count;
                        long i = index is long l ? l : throw new TemplateFunctionException($"cannot index slice/array with type {GoValues.TypeName(index)}");
                        if (i < 0 || i >= count)
                        {
                            throw new TemplateFunctionException($"index out of range: {i}");
                        }

                        item = item switch
                        {
                            string s => (long)Encoding.UTF8.GetBytes(s)[i],
                            QueryResult qr => qr[(int)i],
                            _ => ((List<object?>)item)[(int)i],
                        };
                        break;
                    case null:
                        throw new TemplateFunctionException("index of nil pointer");
                    default:
                        throw new TemplateFunctionException($"can't index item of type {GoValues.TypeName(item)}");
                }
            }

            return item;
        }

#pragma warning disable CA1859 // a string or a queryResult, as Go's slice gives
        private static object Slice(object? item, object?[] indexes)
        {
            if (item is null)
            {
                throw new TemplateFunctionException("slice of untyped nil");
            }

            if (indexes.Length > 3)
            {
                throw new TemplateFunctionException($"too many slice indexes: {indexes.Length}");
            }

            int length = item switch
            {
                string s => s.Length,
                QueryResult q => q.Count,
                _ => throw new TemplateFunctionException($"can't slice item of type {GoValues.TypeName(item)}"),
            };
            var bounds = new long[] { 0, length };
            for (int i = 0; i < indexes.Length && i < 2; i++)
            {
                bounds[i] = indexes[i] is long l ? l : throw new TemplateFunctionException($"cannot index slice/array with type {GoValues.TypeName(indexes[i])}");
                if (bounds[i] < 0 || bounds[i] > length)
                {
                    throw new TemplateFunctionException($"index out of range: {bounds[i]}");
                }
            }

            if (bounds[0] > bounds[1])
            {
                throw new TemplateFunctionException($"invalid slice index: {bounds[0]} > {bounds[1]}");
            }

            if (item is string text)
            {
                return text[(int)bounds[0]..(int)bounds[1]];
            }

            return new QueryResult(((QueryResult)item).Skip((int)bounds[0]).Take((int)(bounds[1] - bounds[0])));
        }
#pragma warning restore CA1859

        private enum Kind
        {
            Invalid,
            Bool,
            Int,
            Float,
            String,
            Other,
        }

        private static Kind KindOf(object? v) => v switch
        {
            null => Kind.Invalid,
            bool => Kind.Bool,
            long => Kind.Int,
            double => Kind.Float,
            string or HtmlString => Kind.String,
            _ => Kind.Other,
        };

        private static bool Equal(object? first, object?[] others)
        {
            if (others.Length == 0)
            {
                throw new TemplateFunctionException("missing argument for comparison");
            }

            var k1 = KindOf(first);
            foreach (var other in others)
            {
                var k2 = KindOf(other);
                bool truth;
                if (k1 != k2)
                {
                    if (first is not null && other is not null)
                    {
                        throw new TemplateFunctionException("incompatible types for comparison");
                    }

                    truth = false;
                }
                else
                {
                    switch (k1)
                    {
                        case Kind.Invalid:
                            truth = true;
                            break;
                        case Kind.Bool:
                            truth = (bool)first! == (bool)other!;
                            break;
                        case Kind.Int:
                            truth = (long)first! == (long)other!;
                            break;
                        case Kind.Float:
                            truth = (double)first! == (double)other!;
                            break;
                        case Kind.String:
                            truth = first!.ToString() == other!.ToString() && first.GetType() == other.GetType();
                            break;
                        default:
                            if (first is not (SampleValue or TimeValue) || other is not (SampleValue or TimeValue))
                            {
                                throw new TemplateFunctionException($"non-comparable type {GoFmt.Value(other)}: {GoValues.TypeName(other)}");
                            }

                            truth = ReferenceEquals(first, other) || Equals(first, other);
                            break;
                    }
                }

                if (truth)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Less(object? a, object? b)
        {
            var k1 = KindOf(a);
            var k2 = KindOf(b);
            if (k1 is Kind.Invalid or Kind.Bool or Kind.Other || k2 is Kind.Invalid or Kind.Bool or Kind.Other)
            {
                throw new TemplateFunctionException("invalid type for comparison");
            }

            if (k1 != k2)
            {
                throw new TemplateFunctionException("incompatible types for comparison");
            }

            return k1 switch
            {
                Kind.Int => (long)a! < (long)b!,
                Kind.Float => (double)a! < (double)b!,
                _ => string.CompareOrdinal(a!.ToString(), b!.ToString()) < 0,
            };
        }

        private static string HtmlEscape(string s)
        {
            var sb = new StringBuilder(s.Length);
            foreach (char c in s)
            {
                sb.Append(c switch
                {
                    '\0' => "\uFFFD",
                    '"' => "&#34;",
                    '\'' => "&#39;",
                    '&' => "&amp;",
                    '<' => "&lt;",
                    '>' => "&gt;",
                    _ => c.ToString(),
                });
            }

            return sb.ToString();
        }

        private static string JsEscape(string s)
        {
            var sb = new StringBuilder(s.Length);
            foreach (var rune in s.EnumerateRunes())
            {
                int c = rune.Value;
                switch (c)
                {
                    case '\\': sb.Append(@"\\"); break;
                    case '\'': sb.Append(@"\'"); break;
                    case '"': sb.Append("\\\""); break;
                    case '<': sb.Append(@"\u003C"); break;
                    case '>': sb.Append(@"\u003E"); break;
                    case '&': sb.Append(@"\u0026"); break;
                    case '=': sb.Append(@"\u003D"); break;
                    case < ' ':
                        sb.Append(@"\u").Append(c.ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
                        break;
                    default:
                        if (c < 0x80 || GoText.IsPrint(rune))
                        {
                            sb.Append(rune.ToString());
                        }
                        else
                        {
                            sb.Append(@"\u").Append(c.ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
                        }

                        break;
                }
            }

            return sb.ToString();
        }
    }
}
