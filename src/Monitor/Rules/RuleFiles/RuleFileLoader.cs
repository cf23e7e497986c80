using System.Text.RegularExpressions;
using Monitor.Configuration;
using Monitor.Rules.PromQL;
using Monitor.Templating;
using YamlDotNet.Core;
using PromParser = Monitor.Rules.PromQL.Parser;
using YamlDotNet.RepresentationModel;

namespace Monitor.Rules.RuleFiles;

/// <summary>
/// Reads Prometheus rule files (<c>groups</c> / <c>rules</c>) and validates them as <c>promtool check rules</c>
/// does, plus Monitor's own limit: every expression must be inside the supported PromQL subset. Errors are
/// <c>FILE:LINE:COL</c>; an expression error points at the offending character when the expression is a
/// plain one-line scalar.
/// </summary>
internal static partial class RuleFileLoader
{
    public static (List<RuleGroup> Groups, List<ConfigError> Errors) Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ([], [new ConfigError(path, 0, 0, $"cannot read rule file: {e.Message}")]);
        }

        return Parse(text, path);
    }

    public static (List<RuleGroup> Groups, List<ConfigError> Errors) Parse(string text, string file)
    {
        var ctx = new ConfigContext(file, _ => null, _ => throw new IOException("no files")) { ExpandVariables = false };
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            return ([], [new ConfigError(file, e.Start.Line, e.Start.Column, $"invalid YAML: {e.Message}")]);
        }

        var groups = new List<RuleGroup>();
        if (stream.Documents.Count == 0)
        {
            return (groups, ctx.Errors);
        }

        var root = YamlMap.From(ctx, stream.Documents[0].RootNode, string.Empty);
        if (root is null)
        {
            return (groups, ctx.Errors);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (node, path) in root.Sequence("groups") ?? [])
        {
            var map = YamlMap.From(ctx, node, path);
            if (map is null)
            {
                continue;
            }

            string? name = map.String("name", required: true);
            if (name is not null && !names.Add(name))
            {
                ctx.Error(map.Get("name")!.Start, $"{path}.name: groupname: \"{name}\" is repeated in the same file");
            }

            var interval = map.Duration("interval");
            map.Integer("limit", 0, int.MaxValue);
            var rules = new List<RuleDefinition>();
            foreach (var (ruleNode, rulePath) in map.Sequence("rules") ?? [])
            {
                if (YamlMap.From(ctx, ruleNode, rulePath) is { } ruleMap && ReadRule(ruleMap) is { } rule)
                {
                    rules.Add(rule);
                }
            }

            map.Finish();
            if (name is not null)
            {
                groups.Add(new RuleGroup(name, file, interval, rules));
            }
        }

        root.Finish();
        return (groups, ctx.Errors);
    }

    private static RuleDefinition? ReadRule(YamlMap map)
    {
        var ctx = map.Context;
        string? alert = map.String("alert");
        string? record = map.String("record");
        if ((alert is null) == (record is null))
        {
            ctx.Error(map.Start, $"{map.Path}: one of 'record' or 'alert' must be set");
        }

        if (record is not null && !MetricName().IsMatch(record))
        {
            ctx.Error(map.Get("record")!.Start, $"{map.Field("record")}: invalid recording rule name: {record}");
        }

        if (alert is not null && alert.Length == 0)
        {
            ctx.Error(map.Get("alert")!.Start, $"{map.Field("alert")}: invalid alert name");
        }

        string? exprText = map.String("expr", required: true);
        Expr? expr = null;
        if (exprText is not null)
        {
            var node = map.Get("expr")!;
            try
            {
                expr = PromParser.Parse(exprText);
                if (expr.Type is not (PromType.Vector or PromType.Scalar))
                {
                    ctx.Error(node.Start, $"{map.Field("expr")}: invalid expression type \"{PromParser.TypeName(expr.Type)}\" for rule, must be instant vector or scalar");
                    expr = null;
                }
            }
            catch (PromQLException e)
            {
                // Point into a one-line plain scalar; for other styles the node's own position.
                bool inline = node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } && !exprText.Contains('\n', StringComparison.Ordinal);
                var at = inline && e.Position >= 0 ? new Mark(node.Start.Index, node.Start.Line, node.Start.Column + e.Position) : node.Start;
                ctx.Error(at, $"{map.Field("expr")}: {e.Message}");
            }
        }

        var forDuration = map.Duration("for", allowZero: true);
        var keepFiringFor = map.Duration("keep_firing_for", allowZero: true);
        if (record is not null && (forDuration is not null || keepFiringFor is not null))
        {
            ctx.Error(map.Start, $"{map.Path}: invalid field 'for' or 'keep_firing_for' in recording rule");
        }

        var labels = map.StringMap("labels", n => Names.IsLabelName(n), Names.LabelNameRule) ?? [];
        var annotations = map.StringMap("annotations", n => Names.IsLabelName(n), "annotation names follow the label name rules") ?? [];
        if (record is not null && annotations.Count > 0)
        {
            ctx.Error(map.Get("annotations")!.Start, $"{map.Field("annotations")}: invalid field 'annotations' in recording rule");
        }

        foreach (var (kind, values) in new[] { ("labels", labels), ("annotations", annotations) })
        {
            foreach (var (key, value) in values)
            {
                if (TemplateExpander.Validate(value) is { } templateError)
                {
                    ctx.Error(map.Get(kind)!.Start, $"{map.Field(kind)}.{key}: template: {templateError}");
                }
            }
        }

        map.Finish();
        return expr is null || (alert ?? record) is null ? null : new RuleDefinition
        {
            Alert = alert,
            Record = record,
            ExprText = exprText!,
            Expr = expr,
            For = forDuration ?? TimeSpan.Zero,
            KeepFiringFor = keepFiringFor ?? TimeSpan.Zero,
            Labels = labels,
            Annotations = annotations,
        };
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$", RegexOptions.CultureInvariant)]
    private static partial Regex MetricName();
}
