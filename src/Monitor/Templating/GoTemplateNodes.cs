using System.Globalization;
using System.Text;
using Monitor.GoCompat;

namespace Monitor.Templating;

/// <summary>A node of a parsed Go template; <see cref="Pos"/> is its offset in the source.</summary>
internal abstract class TemplateNode(int pos)
{
    public int Pos { get; } = pos;
}

internal sealed class ListNode(int pos) : TemplateNode(pos)
{
    public List<TemplateNode> Nodes { get; } = [];

    public override string ToString() => string.Concat(Nodes);
}

internal sealed class TextNode(int pos, string text) : TemplateNode(pos)
{
    public string Text { get; } = text;

    public override string ToString() => GoText.Quote(Text);
}

internal sealed class CommentNode(int pos, string text) : TemplateNode(pos)
{
    public string Text { get; } = text;

    public override string ToString() => "{{" + Text + "}}";
}

internal sealed class PipeNode(int pos, bool isAssign, List<VariableNode> decl) : TemplateNode(pos)
{
    public bool IsAssign { get; } = isAssign;

    public List<VariableNode> Decl { get; } = decl;

    public List<CommandNode> Cmds { get; } = [];

    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Decl.Count > 0)
        {
            sb.Append(string.Join(", ", Decl)).Append(IsAssign ? " = " : " := ");
        }

        sb.Append(string.Join(" | ", Cmds));
        return sb.ToString();
    }
}

internal sealed class ActionNode(int pos, int line, PipeNode pipe) : TemplateNode(pos)
{
    public int Line { get; } = line;

    public PipeNode Pipe { get; } = pipe;

    public override string ToString() => "{{" + Pipe + "}}";
}

internal sealed class CommandNode(int pos) : TemplateNode(pos)
{
    public List<TemplateNode> Args { get; } = [];

    public override string ToString() => string.Join(" ", Args.Select(a => a is PipeNode ? "(" + a + ")" : a.ToString()));
}

internal sealed class IdentifierNode(int pos, string name) : TemplateNode(pos)
{
    public string Name { get; } = name;

    public override string ToString() => Name;
}

internal sealed class VariableNode(int pos, string[] idents) : TemplateNode(pos)
{
    /// <summary>The variable's name ($x) followed by the fields chained onto it.</summary>
    public string[] Idents { get; } = idents;

    public override string ToString() => string.Join(".", Idents);
}

internal sealed class DotNode(int pos) : TemplateNode(pos)
{
    public override string ToString() => ".";
}

internal sealed class NilNode(int pos) : TemplateNode(pos)
{
    public override string ToString() => "nil";
}

internal sealed class FieldNode(int pos, string[] idents) : TemplateNode(pos)
{
    public string[] Idents { get; } = idents;

    public override string ToString() => "." + string.Join(".", Idents);
}

internal sealed class ChainNode(int pos, TemplateNode node) : TemplateNode(pos)
{
    public TemplateNode Node { get; } = node;

    public List<string> Fields { get; } = [];

    public override string ToString() =>
        (Node is PipeNode ? "(" + Node + ")" : Node.ToString()) + string.Concat(Fields.Select(f => "." + f));
}

internal sealed class BoolNode(int pos, bool value) : TemplateNode(pos)
{
    public bool Value { get; } = value;

    public override string ToString() => Value ? "true" : "false";
}

internal sealed class NumberNode : TemplateNode
{
    private NumberNode(int pos, string text)
        : base(pos) => Text = text;

    public string Text { get; }

    public bool IsInt { get; private set; }

    public bool IsFloat { get; private set; }

    public long Int { get; private set; }

    public double Float { get; private set; }

    /// <summary>Go's newNumber: the kinds a literal can be, or the parse error.</summary>
    public static NumberNode Parse(int pos, string text, bool isChar, out string? error)
    {
        var n = new NumberNode(pos, text);
        error = null;
        if (isChar)
        {
            string? unquoted = GoText.Unquote(text);
            if (unquoted is null || unquoted.EnumerateRunes().Count() != 1)
            {
                error = $"malformed character constant: {text}";
                return n;
            }

            n.Int = unquoted.EnumerateRunes().First().Value;
            n.Float = n.Int;
            n.IsInt = n.IsFloat = true;
            return n;
        }

        if (text.EndsWith('i'))
        {
            error = $"illegal number syntax: \"{text}\"";
            return n;
        }

        // strconv.ParseInt(text, 0, 64): a sign, then the digits (underscores only after a base prefix).
        bool negative = text.StartsWith('-');
        string digits = text.TrimStart('+', '-');
        bool prefixed = digits.Length > 1 && digits[0] == '0' && char.IsAsciiLetter(digits[1]);
        string clean = prefixed ? digits.Replace("_", "", StringComparison.Ordinal) : digits;
        if (text.Length - digits.Length <= 1 && (prefixed || !digits.Contains('_', StringComparison.Ordinal)) && GoText.ParseInt64(clean) is { } magnitude)
        {
            n.IsInt = true;
            n.Int = negative ? -magnitude : magnitude;
            n.IsFloat = true;
            n.Float = n.Int;
            return n;
        }

        if (!prefixed && !digits.Contains('_', StringComparison.Ordinal)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && !double.IsInfinity(f))
        {
            if (!text.AsSpan().ContainsAny(".eEpP"))
            {
                error = $"integer overflow: \"{text}\"";
                return n;
            }

            n.IsFloat = true;
            n.Float = f;
            if (f == Math.Floor(f) && Math.Abs(f) < 9.2e18)
            {
                n.IsInt = true;
                n.Int = (long)f;
            }

            return n;
        }

        error = $"illegal number syntax: \"{text}\"";
        return n;
    }

    public override string ToString() => Text;
}

internal sealed class StringNode(int pos, string quoted, string text) : TemplateNode(pos)
{
    public string Quoted { get; } = quoted;

    public string Text { get; } = text;

    public override string ToString() => Quoted;
}

internal sealed class EndNode(int pos) : TemplateNode(pos)
{
    public override string ToString() => "{{end}}";
}

internal sealed class ElseNode(int pos) : TemplateNode(pos)
{
    public override string ToString() => "{{else}}";
}

internal sealed class BreakNode(int pos) : TemplateNode(pos)
{
    public override string ToString() => "{{break}}";
}

internal sealed class ContinueNode(int pos) : TemplateNode(pos)
{
    public override string ToString() => "{{continue}}";
}

internal enum BranchKind
{
    If,
    Range,
    With,
}

internal sealed class BranchNode(BranchKind kind, int pos, PipeNode pipe, ListNode list, ListNode? elseList) : TemplateNode(pos)
{
    public BranchKind Kind { get; } = kind;

    public PipeNode Pipe { get; } = pipe;

    public ListNode List { get; } = list;

    public ListNode? ElseList { get; } = elseList;

    public override string ToString()
    {
        string name = Kind.ToString().ToLowerInvariant();
        return ElseList is null
            ? $"{{{{{name} {Pipe}}}}}{List}{{{{end}}}}"
            : $"{{{{{name} {Pipe}}}}}{List}{{{{else}}}}{ElseList}{{{{end}}}}";
    }
}

internal sealed class TemplateCallNode(int pos, string name, PipeNode? pipe) : TemplateNode(pos)
{
    public string Name { get; } = name;

    public PipeNode? Pipe { get; } = pipe;

    public override string ToString() => Pipe is null ? $"{{{{template {GoText.Quote(Name)}}}}}" : $"{{{{template {GoText.Quote(Name)} {Pipe}}}}}";
}
