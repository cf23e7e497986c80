using System.Text.RegularExpressions;
using Monitor.Configuration;
using Monitor.Rules.Engine;
using Monitor.Rules.PromQL;
using Monitor.Templating;
using YamlDotNet.Core;
using PromParser = Monitor.Rules.PromQL.Parser;
using YamlDotNet.RepresentationModel;

namespace Monitor.Rules.RuleFiles;

/// <summary>What reading rule files gives: the groups, the errors that reject them, and warnings that do not.</summary>
internal sealed record RuleLoad(List<RuleGroup> Groups, List<ConfigError> Errors, List<ConfigError> Warnings)
{
    public void Deconstruct(out List<RuleGroup> groups, out List<ConfigError> errors)
    {
        groups = Groups;
        errors = Errors;
    }
}

/// <summary>
/// Reads Prometheus rule files (<c>groups</c> / <c>rules</c>) and validates them as <c>promtool check rules</c>
/// does: what promtool rejects is an error at <c>FILE:LINE:COL</c> (a PromQL error at the offending character of
/// plain, quoted and <c>|</c> block expressions); what promtool accepts but cannot work as written (a rule that
/// is not a vector or scalar, a range longer than a process keeps) is a warning.
/// </summary>
internal static partial class RuleFileLoader
{
    /// <summary>Ranges beyond this make check-config warn: the history starts empty at every restart.</summary>
    public static readonly TimeSpan LongHistory = TimeSpan.FromDays(1);

    public static RuleLoad Load(string path) => Load(path, null);

    /// <summary>
    /// Reads a rule file; with <paramref name="severities"/> (the config's levels) an alerting rule whose
    /// <c>labels.severity</c> names no level is an error at that label.
    /// </summary>
    public static RuleLoad Load(string path, SeverityLevels? severities)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new RuleLoad([], [new ConfigError(path, 0, 0, $"cannot read rule file: {e.Message}")], []);
        }

        return Parse(text, path, severities);
    }

    public static RuleLoad Parse(string text, string file) => Parse(text, file, null);

    public static RuleLoad Parse(string text, string file, SeverityLevels? severities)
    {
        var warnings = new List<ConfigError>();
        var ctx = new ConfigContext(file, _ => null, _ => throw new IOException("no files")) { ExpandVariables = false };
        var stream = YamlText.Load(text, file, out var yamlError);
        if (stream is null)
        {
            return new RuleLoad([], [yamlError!], []);
        }

        var groups = new List<RuleGroup>();
        if (stream.Documents.Count == 0)
        {
            return new RuleLoad(groups, ctx.Errors, warnings);
        }

        var root = YamlMap.From(ctx, stream.Documents[0].RootNode, string.Empty);
        if (root is null)
        {
            return new RuleLoad(groups, ctx.Errors, warnings);
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
            int limit = (int)(map.Integer("limit", 0, int.MaxValue) ?? 0);
            var rules = new List<RuleDefinition>();
            foreach (var (ruleNode, rulePath) in map.Sequence("rules") ?? [])
            {
                if (YamlMap.From(ctx, ruleNode, rulePath) is { } ruleMap && ReadRule(ruleMap, text, warnings, severities) is { } rule)
                {
                    rules.Add(rule);
                }
            }

            map.Finish();
            if (name is not null)
            {
                groups.Add(new RuleGroup(name, file, interval, rules, limit));
            }
        }

        root.Finish();
        return new RuleLoad(groups, ctx.Errors, warnings);
    }

    private static RuleDefinition? ReadRule(YamlMap map, string text, List<ConfigError> warnings, SeverityLevels? severities)
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
        var selectors = new List<SelectorUse>();
        if (exprText is not null)
        {
            var node = map.Get("expr")!;
            try
            {
                expr = PromParser.Parse(exprText);
                if (expr.Type is not (PromType.Vector or PromType.Scalar))
                {
                    // promtool accepts it; Prometheus then fails every evaluation of the rule.
                    warnings.Add(new ConfigError(ctx.File, node.Start.Line, node.Start.Column, $"{map.Field("expr")}: the expression is a {expr.Type.Documented()}: every evaluation of this rule fails with \"rule result is not a vector or scalar\""));
                }

                foreach (var (selector, reach) in HistoryPlan.Reaches(expr, 0))
                {
                    var at = ExprPosition(node, text, selector.Range.Start);
                    if (MetricName(selector) is { } metric)
                    {
                        selectors.Add(new SelectorUse(metric, ctx.File, at.Line, at.Column, map.Field("expr")));
                    }

                    if (HistoryPlan.ReadsFixedTime(expr, selector))
                    {
                        warnings.Add(new ConfigError(ctx.File, at.Line, at.Column, $"{map.Field("expr")}: this selector reads at the fixed time of an @ modifier; Monitor has only the history it recorded since it started (at most {PromDuration.Format(TimeSpan.FromMilliseconds(HistoryPlan.MaxRetentionMs))}), so it reads nothing from before that"));
                    }
                    else if (reach > LongHistory.TotalMilliseconds)
                    {
                        warnings.Add(new ConfigError(ctx.File, at.Line, at.Column, $"{map.Field("expr")}: this selector reads {PromDuration.Format(TimeSpan.FromMilliseconds(reach))} of history; Monitor keeps history in memory from its own start, so after a restart the rule sees less until it has run that long"));
                    }
                }
            }
            catch (PromQLException e)
            {
                var at = ExprPosition(node, text, e.Position);
                ctx.Error(at, $"{map.Field("expr")}: parse error: {e.Message}");
            }
        }

        var forDuration = map.Duration("for", allowZero: true);
        var keepFiringFor = map.Duration("keep_firing_for", allowZero: true);
        if (record is not null && (forDuration is not null || keepFiringFor is not null))
        {
            ctx.Error(map.Start, $"{map.Path}: invalid field 'for' or 'keep_firing_for' in recording rule");
        }

        var labels = map.StringMap("labels", n => Names.IsLabelName(n), Names.LabelNameRule) ?? [];
        if (alert is not null && severities is not null && labels.TryGetValue("severity", out string? severity)
            && !severity.Contains("{{", StringComparison.Ordinal) && !severities.TryParse(severity, out _))
        {
            var at = map.Get("labels") is YamlMappingNode labelNode && labelNode.Children.TryGetValue(new YamlScalarNode("severity"), out var value) ? value.Start : map.Start;
            ctx.Error(at, $"{map.Field("labels")}.severity: \"{severity}\" names no severity level (levels: {severities.Describe()}; the config's severities.levels defines them)");
        }

        var annotations = map.StringMap("annotations", n => Names.IsLabelName(n), "annotation names follow the label name rules") ?? [];
        if (record is not null && annotations.Count > 0)
        {
            ctx.Error(map.Get("annotations")!.Start, $"{map.Field("annotations")}: invalid field 'annotations' in recording rule");
        }

        var templateQueries = new List<Expr>();
        bool computedQuery = false;
        foreach (var (kind, values) in new[] { ("labels", labels), ("annotations", annotations) })
        {
            foreach (var (key, value) in values)
            {
                if (TemplateExpander.Validate(value) is { } templateError)
                {
                    ctx.Error(map.Get(kind)!.Start, $"{map.Field(kind)}.{key}: template: {templateError}");
                    continue;
                }

                var (literals, computed) = TemplateExpander.Queries(value);
                computedQuery |= computed;
                foreach (string query in literals)
                {
                    try
                    {
                        templateQueries.Add(PromParser.Parse(query));
                    }
                    catch (PromQLException)
                    {
                        // Prometheus reports it when the template runs ("error calling query: ..."); so does Monitor.
                    }
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
            TemplateQueries = templateQueries,
            ComputedTemplateQuery = computedQuery,
            Selectors = selectors,
        };
    }

    /// <summary>The metric a selector names (<c>x{…}</c> or <c>{__name__="x"}</c>); null when a regex or nothing picks it.</summary>
    private static string? MetricName(VectorSelector selector) =>
        selector.Name.Length > 0 ? selector.Name
        : selector.Matchers.FirstOrDefault(m => m.Name == "__name__" && m.Type == MatcherType.Equal)?.Value;

    /// <summary>
    /// Where a character of an expression is in the file: exact for one-line plain and quoted scalars (quoted ones
    /// without escapes before it) and for <c>|</c> blocks; the start of the value for other styles.
    /// </summary>
    private static Mark ExprPosition(YamlNode node, string fileText, int offset)
    {
        if (node is not YamlScalarNode scalar || offset < 0 || scalar.Value is not { } value || offset > value.Length)
        {
            return node.Start;
        }

        bool oneLine = !value.Contains('\n', StringComparison.Ordinal);
        switch (scalar.Style)
        {
            case ScalarStyle.Plain or ScalarStyle.Any when oneLine:
                return new Mark(node.Start.Index + offset, node.Start.Line, node.Start.Column + offset);
            case ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted when oneLine && !value[..offset].Contains('\\', StringComparison.Ordinal) && !value[..offset].Contains('\'', StringComparison.Ordinal) && !value[..offset].Contains('"', StringComparison.Ordinal):
                return new Mark(node.Start.Index + offset + 1, node.Start.Line, node.Start.Column + offset + 1);
            case ScalarStyle.Literal:
            {
                // The value's line n is the file's line after the indicator plus n, indented as its first line.
                string before = value[..offset];
                int line = before.Count(c => c == '\n');
                int column = offset - (before.LastIndexOf('\n') + 1);
                var lines = fileText.Split('\n');
                long firstLine = node.Start.Line + 1; // 1-based line after "|"
                int indent = 0;
                for (long l = firstLine; l <= lines.Length; l++)
                {
                    string content = lines[l - 1].TrimEnd('\r');
                    if (content.Trim().Length > 0)
                    {
                        indent = content.Length - content.TrimStart(' ').Length;
                        break;
                    }
                }

                return new Mark(node.Start.Index, firstLine + line, indent + column + 1);
            }

            default:
                return node.Start;
        }
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$", RegexOptions.CultureInvariant)]
    private static partial Regex MetricName();
}
