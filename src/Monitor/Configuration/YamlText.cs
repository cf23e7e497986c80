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
/// </summary>
internal static class YamlText
{
    public static YamlStream? Load(string text, string file, out ConfigError? error, Func<string, string>? restore = null)
    {
        error = null;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
            return stream;
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
