using System.Collections.Concurrent;

namespace Monitor.Templating;

/// <summary>A sample a template's <c>query</c> returns: its labels (with <c>__name__</c>) and value.</summary>
internal readonly record struct TemplateSample(IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// What a template may reach beyond its data: the rule engine (for <c>query</c>) and the external URL. One is made per
/// rule evaluation (or notification) and serves all its templates, which share its function table.
/// </summary>
internal sealed class TemplateOptions
{
    private IReadOnlyDictionary<string, TemplateFunction>? _functions;

    public static readonly TemplateOptions Default = new();

    /// <summary>Runs an instant query at the evaluation's time; throws <see cref="TemplateFunctionException"/>.</summary>
    public Func<string, IReadOnlyList<TemplateSample>>? Query { get; init; }

    /// <summary>What <c>$externalURL</c>, <c>.ExternalURL</c>, <c>externalURL</c> and <c>pathPrefix</c> give.</summary>
    public string ExternalUrl { get; init; } = "";

    /// <summary>
    /// Whether <c>externalURL</c> and <c>pathPrefix</c> work; promtool's rule tests run without the URL object
    /// they read (only <c>$externalURL</c> is set), so there they fail, and monitor test-rules does the same.
    /// </summary>
    public bool ExternalUrlFunctions { get; init; } = true;

    /// <summary>The template's name in error texts; Prometheus names an alert's <c>__alert_NAME</c>.</summary>
    public string Name { get; init; } = "__alert_";

    /// <summary>Prometheus' functions bound to these options, built once for every template expanded with them.</summary>
    public IReadOnlyDictionary<string, TemplateFunction> Functions => _functions ??= PrometheusFunctions.Create(this);
}

/// <summary>
/// Alert and notification templates as Prometheus expands them: Go's text/template (<see cref="GoTemplate"/>)
/// with Prometheus' functions, <c>missingkey=zero</c>, and the variables <c>$labels</c>, <c>$externalLabels</c>,
/// <c>$externalURL</c> and <c>$value</c> declared before the text (so error columns match Prometheus').
/// A template that fails expands to Prometheus' <c>&lt;error expanding template: ...&gt;</c>.
/// </summary>
internal static class TemplateExpander
{
    private const string Definitions = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";
    private const int CacheLimit = 10_000;

    private static readonly ConcurrentDictionary<(string Name, string Text), Parsed> Cache = new();

    private sealed record Parsed(GoTemplate? Template, string? Error);

    private static Parsed Parse(string name, string template)
    {
        var key = (name, template);
        if (Cache.TryGetValue(key, out var parsed))
        {
            return parsed;
        }

        try
        {
            parsed = new Parsed(GoTemplate.Parse(name, Definitions + template, PrometheusFunctions.Names.Contains), null);
        }
        catch (TemplateParseException e)
        {
            parsed = new Parsed(null, e.Message);
        }

        if (Cache.Count >= CacheLimit)
        {
            Cache.Clear();
        }

        Cache[key] = parsed;
        return parsed;
    }

    /// <summary>
    /// Null when the template parses; otherwise why not, as Go says it, with the template's line when it is not
    /// the first (<c>line 3: function "x" not defined</c>).
    /// </summary>
    public static string? Validate(string template)
    {
        const string name = "__check";
        if (Parse(name, template).Error is not { } error)
        {
            return null;
        }

        string prefix = $"template: {name}:";
        if (!error.StartsWith(prefix, StringComparison.Ordinal))
        {
            return error;
        }

        string rest = error[prefix.Length..];
        int colon = rest.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 && int.TryParse(rest[..colon], out int line)
            ? (line == 1 ? rest[(colon + 2)..] : $"line {line}: {rest[(colon + 2)..]}")
            : error;
    }

    /// <summary>
    /// The PromQL a template's <c>query</c> calls run when written as literals, and whether it runs one it builds
    /// (with printf, say), which Monitor cannot know before it runs; empty for a template that does not parse.
    /// </summary>
    public static (List<string> Literals, bool Computed) Queries(string template) =>
        Parse("__check", template).Template?.LiteralArguments("query") ?? ([], false);

    /// <summary>Expands an alert's label or annotation template.</summary>
    public static string Expand(string template, IReadOnlyDictionary<string, string> labels, double value, IReadOnlyDictionary<string, string> externalLabels, TemplateOptions? options = null) =>
        Expand(template, labels, value, externalLabels, null, options);

    /// <summary>
    /// As <see cref="Expand(string, IReadOnlyDictionary{string, string}, double, IReadOnlyDictionary{string, string}, TemplateOptions?)"/>,
    /// with more fields of the dot (<c>.Status</c>, <c>.CommonLabels.x</c>): each a string, a number or a
    /// string map. Notification templates use it.
    /// </summary>
    public static string Expand(string template, IReadOnlyDictionary<string, string> labels, double value, IReadOnlyDictionary<string, string> externalLabels, IReadOnlyDictionary<string, object>? fields, TemplateOptions? options)
    {
        if (!template.Contains("{{", StringComparison.Ordinal))
        {
            return template;
        }

        options ??= TemplateOptions.Default;
        var parsed = Parse(options.Name, template);
        if (parsed.Template is null)
        {
            return $"<error expanding template: error parsing template {options.Name}: {parsed.Error}>";
        }

        try
        {
            return parsed.Template.Execute(Data(labels, value, externalLabels, options.ExternalUrl, fields), options.Functions);
        }
        catch (TemplateExecException e)
        {
            return $"<error expanding template: error executing template {options.Name}: {e.Message}>";
        }
    }

    private static GoStruct Data(IReadOnlyDictionary<string, string> labels, double value, IReadOnlyDictionary<string, string> externalLabels, string externalUrl, IReadOnlyDictionary<string, object>? fields)
    {
        var all = new List<KeyValuePair<string, object?>>
        {
            new("Labels", labels),
            new("ExternalLabels", externalLabels),
            new("ExternalURL", externalUrl),
            new("Value", value),
        };
        foreach (var (name, field) in fields ?? new Dictionary<string, object>())
        {
            object? converted = field is int i ? (long)i : field;
            int existing = all.FindIndex(f => f.Key == name);
            if (existing >= 0)
            {
                all[existing] = new(name, converted);
            }
            else
            {
                all.Add(new(name, converted));
            }
        }

        string type = "struct { " + string.Join("; ", all.Select(f => $"{f.Key} {GoValues.TypeName(f.Value)}")) + " }";
        return new GoStruct(type, all);
    }

    public static string Humanize(double v) => PrometheusFunctions.Humanize(v);

    public static string Humanize1024(double v) => PrometheusFunctions.Humanize1024(v);

    public static string HumanizeDuration(double v) => PrometheusFunctions.HumanizeDuration(v);
}
