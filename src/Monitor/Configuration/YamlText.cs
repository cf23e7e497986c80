using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Monitor.Configuration;

/// <summary>
/// Loads YAML text, turning every way the parser can fail into one <see cref="ConfigError"/> with a place:
/// its <see cref="YamlException"/>s, and the <see cref="InvalidOperationException"/> YamlDotNet throws for a
/// flow collection (<c>[…</c> or <c>{…</c>) left open before more content. Aliases are resolved by the
/// representation model; merge keys (<c>&lt;&lt;: *smtp</c>) are applied by <see cref="YamlMap"/>, not by
/// YamlDotNet's MergingParser, which splices the anchored events in place and so turns an override of a
/// merged key into "Duplicate key" (measured on YamlDotNet 18.1).
/// <para>
/// Before the representation model (which recurses per level, and whose shared alias nodes every reader walks
/// once per reference) sees the text, one pass over the parser's events bounds it: nesting deeper than
/// <see cref="MaxDepth"/>, an alias inside the node it names (a cycle), or aliases that expand the document to
/// more than <see cref="MaxExpandedNodes"/> nodes (a "billion laughs") are errors at the offending event, so a
/// hostile file can neither overflow the stack nor exhaust memory, and a reload with one keeps the running
/// configuration.
/// </para>
/// </summary>
internal static class YamlText
{
    /// <summary>How deeply mappings and sequences may nest; configuration, rule and kubeconfig files use a handful.</summary>
    public const int MaxDepth = 64;

    /// <summary>How many nodes a file may have once every alias is expanded.</summary>
    public const long MaxExpandedNodes = 1_000_000;

    public static YamlStream? Load(string text, string file, out ConfigError? error, Func<string, string>? restore = null)
    {
        error = null;
        var stream = new YamlStream();
        var parser = new YamlDotNet.Core.Parser(new StringReader(text));
        try
        {
            if (Bound(text, file) is { } bounded)
            {
                error = bounded;
                return null;
            }

            stream.Load(parser);
            return stream;
        }
        catch (ArgumentException) when (parser.Current is { } at)
        {
            // The representation model refuses an event the parser accepted where a node was due (seen with fuzzed rule files).
            error = new ConfigError(file, at.Start.Line, at.Start.Column, $"invalid YAML: a node was expected here, not {at.GetType().Name}");
        }
        catch (YamlException e)
        {
            string message = e.InnerException is { } inner ? $"{e.Message}: {inner.Message}" : e.Message;
            error = new ConfigError(file, e.Start.Line, e.Start.Column, $"invalid YAML: {restore?.Invoke(message) ?? message}");
        }
        catch (InvalidOperationException)
        {
            var (line, column) = UnclosedFlow(text);
            error = new ConfigError(file, line, column, "invalid YAML: a flow sequence or mapping ('[' or '{') is not closed");
        }

        return null;
    }

    /// <summary>The depth, cycle and alias-expansion bounds, checked on the event stream (which does not recurse).</summary>
    private static ConfigError? Bound(string text, string file)
    {
        var parser = new YamlDotNet.Core.Parser(new StringReader(text));
        var anchors = new Dictionary<string, long>(StringComparer.Ordinal);
        var open = new List<(string? Anchor, long Size)>();
        long total = 0;
        while (parser.MoveNext())
        {
            var e = parser.Current!;
            switch (e)
            {
                case YamlDotNet.Core.Events.DocumentStart:
                    anchors.Clear();
                    break;
                case YamlDotNet.Core.Events.AnchorAlias alias:
                {
                    string name = alias.Value.Value;
                    if (open.Exists(o => o.Anchor == name))
                    {
                        return new ConfigError(file, e.Start.Line, e.Start.Column, $"invalid YAML: alias *{name} is inside the node &{name} it refers to (a cycle)");
                    }

                    if (!anchors.TryGetValue(name, out long size))
                    {
                        return new ConfigError(file, e.Start.Line, e.Start.Column, $"invalid YAML: alias *{name} refers to no anchor &{name} before it");
                    }

                    if (Add(open, ref total, size))
                    {
                        return TooLarge(file, e);
                    }

                    break;
                }

                case YamlDotNet.Core.Events.Scalar scalar:
                    if (Add(open, ref total, 1))
                    {
                        return TooLarge(file, e);
                    }

                    if (!scalar.Anchor.IsEmpty)
                    {
                        anchors[scalar.Anchor.Value] = 1;
                    }

                    break;
                case YamlDotNet.Core.Events.NodeEvent node when e is YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart:
                    if (open.Count >= MaxDepth)
                    {
                        return new ConfigError(file, e.Start.Line, e.Start.Column, $"invalid YAML: nested more than {MaxDepth} levels deep");
                    }

                    open.Add((node.Anchor.IsEmpty ? null : node.Anchor.Value, 1));
                    break;
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                {
                    var (anchor, size) = open[^1];
                    open.RemoveAt(open.Count - 1);
                    if (anchor is not null)
                    {
                        anchors[anchor] = size;
                    }

                    if (Add(open, ref total, size))
                    {
                        return TooLarge(file, e);
                    }

                    break;
                }
            }
        }

        return null;
    }

    /// <summary>Counts a finished node into its parent (or the document); true when the document grows too large.</summary>
    private static bool Add(List<(string? Anchor, long Size)> open, ref long total, long size)
    {
        if (open.Count == 0)
        {
            total += size;
            return total > MaxExpandedNodes;
        }

        var (anchor, current) = open[^1];
        current += size;
        open[^1] = (anchor, current);
        return current > MaxExpandedNodes;
    }

    private static ConfigError TooLarge(string file, YamlDotNet.Core.Events.ParsingEvent e) =>
        new(file, e.Start.Line, e.Start.Column, $"invalid YAML: aliases expand the document to more than {MaxExpandedNodes} nodes");

    /// <summary>Where the first bracket that is still open at the end of its line is (outside quotes and comments).</summary>
    private static (int Line, int Column) UnclosedFlow(string text)
    {
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var open = new Stack<int>();
            char quote = '\0';
            string l = lines[i];
            for (int c = 0; c < l.Length; c++)
            {
                char ch = l[c];
                if (quote != '\0')
                {
                    if (ch == quote)
                    {
                        quote = '\0';
                    }

                    continue;
                }

                if (ch is '"' or '\'')
                {
                    quote = ch;
                }
                else if (ch == '#' && (c == 0 || l[c - 1] == ' '))
                {
                    break;
                }
                else if (ch is '[' or '{')
                {
                    open.Push(c);
                }
                else if (ch is ']' or '}' && open.Count > 0)
                {
                    open.Pop();
                }
            }

            if (open.Count > 0)
            {
                return (i + 1, open.Last() + 1);
            }
        }

        return (1, 1);
    }
}
