using System.Globalization;
using System.Text;

namespace Monitor.Templating;

/// <summary>
/// The part of Go's text/template that Prometheus annotations use: text, <c>{{ }}</c> actions with
/// <c>{{-</c>/<c>-}}</c> trimming and comments, pipelines (<c>$value | humanize</c>), the variables
/// <c>$labels</c>, <c>$value</c>, <c>$externalLabels</c> (and <c>.Labels</c>, <c>.Value</c>,
/// <c>.ExternalLabels</c>), and the functions humanize, humanize1024, humanizePercentage,
/// humanizeDuration, printf, toUpper, toLower, title and index. Missing labels print as empty
/// (Prometheus sets missingkey=zero).
/// </summary>
internal static class TemplateExpander
{
    private static readonly HashSet<string> Functions = new(StringComparer.Ordinal)
    {
        "humanize", "humanize1024", "humanizePercentage", "humanizeDuration", "printf", "toUpper", "toLower", "title", "index",
    };

    /// <summary>Null when the template is valid; otherwise why not.</summary>
    public static string? Validate(string template)
    {
        try
        {
            foreach (var segment in Segments(template))
            {
                if (segment.IsAction)
                {
                    foreach (var command in ParsePipeline(segment.Text))
                    {
                        if (command[0].Kind == ArgKind.Identifier && !Functions.Contains(command[0].Text))
                        {
                            return $"function \"{command[0].Text}\" not defined";
                        }
                    }
                }
            }

            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    /// <summary>Expands <paramref name="template"/>; an error gives Prometheus' "&lt;error expanding template: ...&gt;".</summary>
    public static string Expand(string template, IReadOnlyDictionary<string, string> labels, double value, IReadOnlyDictionary<string, string> externalLabels) =>
        Expand(template, labels, value, externalLabels, null);

    /// <summary>
    /// As <see cref="Expand(string, IReadOnlyDictionary{string, string}, double, IReadOnlyDictionary{string, string})"/>,
    /// with more fields of the dot (<c>.Status</c>, <c>.CommonLabels.x</c>): each a string, a number or a
    /// string map. Notification templates use it.
    /// </summary>
    public static string Expand(string template, IReadOnlyDictionary<string, string> labels, double value, IReadOnlyDictionary<string, string> externalLabels, IReadOnlyDictionary<string, object>? fields)
    {
        if (!template.Contains("{{", StringComparison.Ordinal))
        {
            return template;
        }

        try
        {
            var sb = new StringBuilder();
            foreach (var segment in Segments(template))
            {
                if (!segment.IsAction)
                {
                    sb.Append(segment.Text);
                    continue;
                }

                object? result = null;
                bool first = true;
                foreach (var command in ParsePipeline(segment.Text))
                {
                    result = Run(command, first ? null : result, !first, labels, value, externalLabels, fields);
                    first = false;
                }

                sb.Append(Print(result));
            }

            return sb.ToString();
        }
        catch (FormatException e)
        {
            return $"<error expanding template: {e.Message}>";
        }
    }

    private static string Print(object? value) => value switch
    {
        null => string.Empty,
        double d => GoFormat.Value(d),
        IReadOnlyDictionary<string, string> map => "map[" + string.Join(" ", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{p.Value}")) + "]",
        _ => value.ToString() ?? string.Empty,
    };

    private readonly record struct Segment(string Text, bool IsAction);

    private static List<Segment> Segments(string template)
    {
        var segments = new List<Segment>();
        int i = 0;
        while (i < template.Length)
        {
            int open = template.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                segments.Add(new Segment(template[i..], false));
                break;
            }

            int close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException("unclosed action");
            }

            string text = template[i..open];
            string action = template[(open + 2)..close];
            if (action.StartsWith("- ", StringComparison.Ordinal) || action == "-")
            {
                text = text.TrimEnd();
                action = action[1..];
            }

            bool trimAfter = action.EndsWith(" -", StringComparison.Ordinal);
            if (trimAfter)
            {
                action = action[..^1];
            }

            segments.Add(new Segment(text, false));
            action = action.Trim();
            if (!(action.StartsWith("/*", StringComparison.Ordinal) && action.EndsWith("*/", StringComparison.Ordinal)))
            {
                if (action.Length == 0)
                {
                    throw new FormatException("missing value for command");
                }

                string keyword = action.Split(' ', 2)[0];
                if (keyword is "if" or "else" or "end" or "range" or "with" or "define" or "template" or "block")
                {
                    throw new FormatException($"\"{keyword}\" actions are not supported by Monitor's template engine");
                }

                if (action.Contains(":=", StringComparison.Ordinal))
                {
                    throw new FormatException("variable declarations are not supported by Monitor's template engine");
                }

                segments.Add(new Segment(action, true));
            }

            i = close + 2;
            if (trimAfter)
            {
                while (i < template.Length && char.IsWhiteSpace(template[i]))
                {
                    i++;
                }
            }
        }

        return segments;
    }

    private enum ArgKind
    {
        Identifier,
        Variable,
        Field,
        String,
        Number,
    }

    private readonly record struct Arg(ArgKind Kind, string Text);

    private static List<List<Arg>> ParsePipeline(string action)
    {
        var commands = new List<List<Arg>> { new() };
        int i = 0;
        while (i < action.Length)
        {
            char c = action[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '|')
            {
                if (commands[^1].Count == 0)
                {
                    throw new FormatException("missing command before |");
                }

                commands.Add([]);
                i++;
            }
            else if (c is '"' or '`')
            {
                int start = ++i;
                var sb = new StringBuilder();
                while (i < action.Length && action[i] != c)
                {
                    if (c == '"' && action[i] == '\\' && i + 1 < action.Length)
                    {
                        i++;
                        sb.Append(action[i] switch { 'n' => '\n', 't' => '\t', _ => action[i] });
                    }
                    else
                    {
                        sb.Append(action[i]);
                    }

                    i++;
                }

                if (i >= action.Length)
                {
                    throw new FormatException("unterminated quoted string");
                }

                i++;
                commands[^1].Add(new Arg(ArgKind.String, sb.ToString()));
                _ = start;
            }
            else
            {
                int start = i;
                while (i < action.Length && !char.IsWhiteSpace(action[i]) && action[i] != '|')
                {
                    i++;
                }

                string word = action[start..i];
                var kind = word[0] switch
                {
                    '$' => ArgKind.Variable,
                    '.' => ArgKind.Field,
                    _ when char.IsAsciiDigit(word[0]) || word[0] == '-' => ArgKind.Number,
                    _ => ArgKind.Identifier,
                };
                commands[^1].Add(new Arg(kind, word));
            }
        }

        if (commands[^1].Count == 0)
        {
            throw new FormatException("missing command after |");
        }

        return commands;
    }

    private static object? Run(List<Arg> command, object? piped, bool hasPiped, IReadOnlyDictionary<string, string> labels, double value, IReadOnlyDictionary<string, string> external, IReadOnlyDictionary<string, object>? fields)
    {
        var head = command[0];
        if (head.Kind != ArgKind.Identifier)
        {
            if (command.Count > 1 || hasPiped)
            {
                throw new FormatException($"can't give argument to non-function {head.Text}");
            }

            return Resolve(head, labels, value, external, fields);
        }

        var args = command.Skip(1).Select(a => Resolve(a, labels, value, external, fields)).ToList();
        if (hasPiped)
        {
            args.Add(piped);
        }

        return head.Text switch
        {
            "humanize" => Humanize(ToFloat(One(args, head.Text))),
            "humanize1024" => Humanize1024(ToFloat(One(args, head.Text))),
            "humanizePercentage" => GoFormat.G(ToFloat(One(args, head.Text)) * 100, 4) + "%",
            "humanizeDuration" => HumanizeDuration(ToFloat(One(args, head.Text))),
            "toUpper" => Print(One(args, head.Text)).ToUpperInvariant(),
            "toLower" => Print(One(args, head.Text)).ToLowerInvariant(),
            "title" => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(Print(One(args, head.Text))),
            "index" => args.Count == 2 && args[0] is IReadOnlyDictionary<string, string> map ? map.GetValueOrDefault(Print(args[1]), string.Empty) : throw new FormatException("index of untyped nil"),
            "printf" => Printf(args),
            _ => throw new FormatException($"function \"{head.Text}\" not defined"),
        };
    }

    private static object? One(List<object?> args, string function) =>
        args.Count == 1 ? args[0] : throw new FormatException($"wrong number of args for {function}: want 1 got {args.Count}");

    private static object? Resolve(Arg arg, IReadOnlyDictionary<string, string> labels, double value, IReadOnlyDictionary<string, string> external, IReadOnlyDictionary<string, object>? fields)
    {
        switch (arg.Kind)
        {
            case ArgKind.String:
                return arg.Text;
            case ArgKind.Number:
                return double.TryParse(arg.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) ? n : throw new FormatException($"bad number syntax: {arg.Text}");
            case ArgKind.Identifier:
                throw new FormatException($"function \"{arg.Text}\" used as a value");
        }

        // $labels.x, .Labels.x, $value, .Value, $externalLabels.x, .ExternalLabels.x
        string[] parts = arg.Text.Split('.');
        string root = arg.Kind == ArgKind.Variable ? parts[0] : "." + parts[1];
        int rest = arg.Kind == ArgKind.Variable ? 1 : 2;
        object? current = root switch
        {
            "$labels" or ".Labels" => labels,
            "$externalLabels" or ".ExternalLabels" => external,
            "$value" or ".Value" => value,
            "$" when parts.Length == 1 => null,
            _ when root.StartsWith('.') && fields is not null && fields.TryGetValue(root[1..], out var field) => field,
            _ => throw new FormatException($"undefined variable \"{root}\""),
        };
        for (int i = rest; i < parts.Length; i++)
        {
            current = current is IReadOnlyDictionary<string, string> map
                ? map.GetValueOrDefault(parts[i], string.Empty)
                : throw new FormatException($"can't evaluate field {parts[i]}");
        }

        return current;
    }

    private static double ToFloat(object? value) => value switch
    {
        double d => d,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        string s when s is "+Inf" or "Inf" => double.PositiveInfinity,
        string s when s == "-Inf" => double.NegativeInfinity,
        string s when s == "NaN" => double.NaN,
        _ => throw new FormatException($"can't convert {Print(value)} to float"),
    };

    private static readonly string[] LargePrefixes = ["k", "M", "G", "T", "P", "E", "Z", "Y"];
    private static readonly string[] BinaryPrefixes = ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"];
    private static readonly string[] SmallPrefixes = ["m", "u", "n", "p", "f", "a", "z", "y"];

    /// <summary>Divides by <paramref name="step"/> while |v| ≥ step, as Prometheus' humanize functions do.</summary>
    private static string ScaleUp(ref double v, double step, string[] prefixes)
    {
        string prefix = string.Empty;
        foreach (string p in prefixes)
        {
            if (Math.Abs(v) < step)
            {
                break;
            }

            prefix = p;
            v /= step;
        }

        return prefix;
    }

    /// <summary>Multiplies by 1000 while |v| &lt; 1 (milli, micro, …).</summary>
    private static string ScaleDown(ref double v)
    {
        string prefix = string.Empty;
        foreach (string p in SmallPrefixes)
        {
            if (Math.Abs(v) >= 1)
            {
                break;
            }

            prefix = p;
            v *= 1000;
        }

        return prefix;
    }

    public static string Humanize(double v)
    {
        if (v == 0 || double.IsNaN(v) || double.IsInfinity(v))
        {
            return GoFormat.G(v, 4);
        }

        string prefix = Math.Abs(v) >= 1 ? ScaleUp(ref v, 1000, LargePrefixes) : ScaleDown(ref v);
        return GoFormat.G(v, 4) + prefix;
    }

    public static string Humanize1024(double v)
    {
        if (Math.Abs(v) <= 1 || double.IsNaN(v) || double.IsInfinity(v))
        {
            return GoFormat.G(v, 4);
        }

        string prefix = ScaleUp(ref v, 1024, BinaryPrefixes);
        return GoFormat.G(v, 4) + prefix;
    }

    public static string HumanizeDuration(double v)
    {
        if (double.IsNaN(v) || double.IsInfinity(v))
        {
            return GoFormat.G(v, 4);
        }

        if (v == 0)
        {
            return GoFormat.G(v, 4) + "s";
        }

        if (Math.Abs(v) >= 1)
        {
            string sign = v < 0 ? "-" : string.Empty;
            long duration = (long)Math.Abs(v);
            long seconds = duration % 60, minutes = duration / 60 % 60, hours = duration / 3600 % 24, days = duration / 86400;
            return days != 0 ? $"{sign}{days}d {hours}h {minutes}m {seconds}s"
                : hours != 0 ? $"{sign}{hours}h {minutes}m {seconds}s"
                : minutes != 0 ? $"{sign}{minutes}m {seconds}s"
                : $"{sign}{GoFormat.G(Math.Abs(v), 4)}s";
        }

        string prefix = ScaleDown(ref v);
        return GoFormat.G(v, 4) + prefix + "s";
    }

    /// <summary>fmt.Sprintf for the verbs annotations use: %s %v %d %f %.Nf %g %.Ng %e %%.</summary>
    private static string Printf(List<object?> args)
    {
        if (args.Count == 0 || args[0] is not string format)
        {
            throw new FormatException("printf needs a format string");
        }

        var sb = new StringBuilder();
        int next = 1;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                sb.Append(format[i]);
                continue;
            }

            int start = ++i;
            while (i < format.Length && (char.IsAsciiDigit(format[i]) || format[i] == '.'))
            {
                i++;
            }

            if (i >= format.Length)
            {
                sb.Append("%!(NOVERB)");
                break;
            }

            char verb = format[i];
            if (verb == '%')
            {
                sb.Append('%');
                continue;
            }

            string spec = format[start..i];
            int? precision = spec.Contains('.', StringComparison.Ordinal) ? int.Parse(spec[(spec.IndexOf('.', StringComparison.Ordinal) + 1)..] is { Length: > 0 } p ? p : "0", CultureInfo.InvariantCulture) : null;
            object? arg = next < args.Count ? args[next++] : null;
            sb.Append(verb switch
            {
                's' or 'v' => Print(arg),
                'd' => ((long)ToFloat(arg)).ToString(CultureInfo.InvariantCulture),
                'f' => GoFormat.F(ToFloat(arg), precision ?? 6),
                'g' => GoFormat.G(ToFloat(arg), precision ?? -1),
                'e' => GoFormat.E(ToFloat(arg), precision ?? 6),
                'q' => "\"" + Print(arg) + "\"",
                _ => $"%!{verb}({Print(arg)})",
            });
        }

        return sb.ToString();
    }
}
