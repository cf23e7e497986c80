using System.Globalization;
using System.Text;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Rules.Alerting;
using Monitor.Rules.Engine;
using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;
using Monitor.Rules.RuleFiles;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using PromParser = Monitor.Rules.PromQL.Parser;

namespace Monitor.Rules.Testing;

/// <summary>
/// <c>monitor test-rules</c>: runs rule unit tests written for <c>promtool test rules</c> (same file format,
/// same evaluation schedule, same comparison) and prints results the way promtool does.
/// </summary>
internal static class RuleTestRunner
{
    public static int Run(IReadOnlyList<string> files, TextWriter stdout, TextWriter stderr)
    {
        bool failed = false;
        foreach (string file in files)
        {
            stdout.WriteLine($"Unit Testing:  {file}");
            var errors = RunFile(file);
            if (errors.Count > 0)
            {
                stderr.WriteLine("  FAILED:");
                foreach (string error in errors)
                {
                    stderr.WriteLine(error);
                    stdout.WriteLine();
                }

                failed = true;
            }
            else
            {
                stdout.WriteLine("  SUCCESS");
            }

            stdout.WriteLine();
        }

        return failed ? 1 : 0;
    }

    public static List<string> RunFile(string file)
    {
        var ctx = new ConfigContext(file, _ => null, _ => throw new IOException("no files")) { ExpandVariables = false };
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(File.ReadAllText(file)));
        }
        catch (Exception e) when (e is IOException or YamlException)
        {
            return [$"    {e.Message}"];
        }

        var root = YamlMap.From(ctx, stream.Documents.Count > 0 ? stream.Documents[0].RootNode : new YamlMappingNode(), string.Empty);
        var ruleFiles = root?.Strings("rule_files") ?? [];
        var evaluationInterval = root?.Duration("evaluation_interval") ?? TimeSpan.FromMinutes(1);
        var groupOrder = root?.Strings("group_eval_order") ?? [];
        var tests = root?.Sequence("tests") ?? [];
        root?.Finish();

        var groups = new List<RuleGroup>();
        string dir = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        foreach (string pattern in ruleFiles)
        {
            string full = Path.IsPathRooted(pattern) ? pattern : Path.Combine(dir, pattern);
            var matches = pattern.AsSpan().IndexOfAny('*', '?') >= 0
                ? Directory.EnumerateFiles(Path.GetDirectoryName(full) ?? ".", Path.GetFileName(full)).Order(StringComparer.Ordinal).ToList()
                : [full];
            foreach (string ruleFile in matches)
            {
                var (loaded, ruleErrors) = RuleFileLoader.Load(ruleFile);
                if (ruleErrors.Count > 0)
                {
                    return [.. ruleErrors.Select(e => $"    {e}")];
                }

                groups.AddRange(loaded);
            }
        }

        if (groupOrder.Count > 0)
        {
            groups = [.. groups.OrderBy(g => groupOrder.IndexOf(g.Name) is var i && i < 0 ? int.MaxValue : i)];
        }

        var errors = new List<string>();
        foreach (var (node, path) in tests)
        {
            if (YamlMap.From(ctx, node, path) is { } test)
            {
                errors.AddRange(RunTest(test, groups, evaluationInterval));
            }
        }

        // Problems in the test file itself (unknown keys, bad durations), wherever they were found.
        errors.InsertRange(0, ctx.Errors.Select(e => $"    {e}"));

        return errors;
    }

    private sealed record AlertTest(TimeSpan EvalTime, string AlertName, List<(Label[] Labels, Dictionary<string, string> Annotations)> Expected);

    private sealed record ExprTest(string Expr, TimeSpan EvalTime, List<(Label[] Labels, double Value)> Expected);

    private static List<string> RunTest(YamlMap test, List<RuleGroup> groups, TimeSpan evaluationInterval)
    {
        var errors = new List<string>();
        var interval = test.Duration("interval") ?? evaluationInterval;
        var external = test.StringMap("external_labels") ?? [];
        test.String("external_url");
        string? name = test.String("name");
        var storage = new MemoryStorage();
        foreach (var (node, path) in test.Sequence("input_series") ?? [])
        {
            var series = YamlMap.From(test.Context, node, path);
            if (series is null)
            {
                continue;
            }

            string? selector = series.String("series", required: true);
            string? values = series.String("values") ?? string.Empty;
            series.Finish();
            if (selector is null)
            {
                continue;
            }

            try
            {
                var stored = storage.GetOrAdd(ParseLabels(selector));
                var expanded = SeriesValues.Expand(values);
                for (int i = 0; i < expanded.Count; i++)
                {
                    if (expanded[i] is { } v)
                    {
                        stored.Add((long)(interval.TotalMilliseconds * i), v);
                    }
                }
            }
            catch (Exception e) when (e is PromQLException or FormatException)
            {
                errors.Add($"    {path}: {e.Message}");
            }
        }

        var alertTests = new List<AlertTest>();
        foreach (var (node, path) in test.Sequence("alert_rule_test") ?? [])
        {
            if (YamlMap.From(test.Context, node, path) is not { } map)
            {
                continue;
            }

            var evalTime = map.Duration("eval_time", allowZero: true) ?? TimeSpan.Zero;
            string alertname = map.String("alertname", required: true) ?? string.Empty;
            var expected = new List<(Label[], Dictionary<string, string>)>();
            foreach (var (alertNode, alertPath) in map.Sequence("exp_alerts") ?? [])
            {
                if (YamlMap.From(test.Context, alertNode, alertPath) is { } alert)
                {
                    var labels = alert.StringMap("exp_labels") ?? [];
                    labels["alertname"] = alertname;
                    expected.Add((LabelSet.Sorted(labels.Select(l => new Label(l.Key, l.Value))), alert.StringMap("exp_annotations") ?? []));
                    alert.Finish();
                }
            }

            map.Finish();
            alertTests.Add(new AlertTest(evalTime, alertname, expected));
        }

        var exprTests = new List<ExprTest>();
        foreach (var (node, path) in test.Sequence("promql_expr_test") ?? [])
        {
            if (YamlMap.From(test.Context, node, path) is not { } map)
            {
                continue;
            }

            string expr = map.String("expr", required: true) ?? string.Empty;
            var evalTime = map.Duration("eval_time", allowZero: true) ?? TimeSpan.Zero;
            var expected = new List<(Label[], double)>();
            foreach (var (sampleNode, samplePath) in map.Sequence("exp_samples") ?? [])
            {
                if (YamlMap.From(test.Context, sampleNode, samplePath) is { } sample)
                {
                    string labels = sample.String("labels") ?? "{}";
                    double value = sample.Has("value") ? double.Parse(sample.String("value")!, NumberStyles.Float, CultureInfo.InvariantCulture) : 0;
                    sample.Finish();
                    try
                    {
                        expected.Add((labels.Trim() == "{}" ? [] : ParseLabels(labels), value));
                    }
                    catch (PromQLException e)
                    {
                        errors.Add($"    {samplePath}: {e.Message}");
                    }
                }
            }

            map.Finish();
            exprTests.Add(new ExprTest(expr, evalTime, expected));
        }

        test.Finish();
        if (errors.Count > 0)
        {
            return errors;
        }

        // Evaluate every group at every evaluation interval up to the last eval_time, as promtool does,
        // checking alert expectations on the way.
        var evaluators = groups.Select(g => new GroupEvaluator(g, storage, storage, external)).ToList();
        var maxEval = alertTests.Select(a => a.EvalTime).Concat(exprTests.Select(e => e.EvalTime)).DefaultIfEmpty(TimeSpan.Zero).Max();
        var byTime = alertTests.GroupBy(a => a.EvalTime).ToDictionary(g => g.Key, g => g.ToList());
        for (var ts = TimeSpan.Zero; ts <= maxEval; ts += evaluationInterval)
        {
            foreach (var evaluator in evaluators)
            {
                try
                {
                    evaluator.Evaluate(DateTimeOffset.UnixEpoch + ts);
                }
                catch (PromQLException e)
                {
                    errors.Add($"    group {evaluator.Group.Name}, time: {PromDuration.Format(ts)}: {e.Message}");
                }
            }

            // promtool checks the alert tests whose eval_time falls in this evaluation step.
            var due = byTime.Where(kv => kv.Key >= ts && kv.Key < ts + evaluationInterval).SelectMany(kv => kv.Value).ToList();
            foreach (var alertTest in due)
            {
                var got = evaluators.SelectMany(e => e.AlertStates.Values)
                    .Where(s => s.Rule.Alert == alertTest.AlertName)
                    .SelectMany(s => s.Alerts)
                    .Where(a => a.State == AlertState.Firing)
                    .Select(a => (a.Labels, Annotations: new Dictionary<string, string>(a.Annotations)))
                    .ToList();
                string expText = AlertsString(alertTest.Expected);
                string gotText = AlertsString(got);
                if (expText != gotText)
                {
                    errors.Add($"{(name is null ? string.Empty : $"    name: {name},\n")}    alertname: {alertTest.AlertName}, time: {PromDuration.Format(alertTest.EvalTime)}, \n        exp:{expText}, \n        got:{gotText}");
                }
            }
        }

        var evaluatorForQueries = new Evaluator(storage);
        foreach (var exprTest in exprTests)
        {
            try
            {
                var value = evaluatorForQueries.Evaluate(PromParser.Parse(exprTest.Expr), (long)exprTest.EvalTime.TotalMilliseconds);
                var got = value switch
                {
                    List<PromSample> v => v.Select(s => (s.Labels, s.Value)).ToList(),
                    double d => [(Array.Empty<Label>(), d)],
                    _ => [],
                };
                string expText = SamplesString(exprTest.Expected);
                string gotText = SamplesString(got);
                if (expText != gotText)
                {
                    errors.Add($"    expr: {Quote(exprTest.Expr)}, time: {PromDuration.Format(exprTest.EvalTime)},\n        exp: {expText}\n        got: {gotText}");
                }
            }
            catch (PromQLException e)
            {
                errors.Add($"    expr: {Quote(exprTest.Expr)}, time: {PromDuration.Format(exprTest.EvalTime)}, err: {e.Message}");
            }
        }

        return errors;
    }

    /// <summary>Labels of a series written as a selector with equality matchers: <c>metric{a="b"}</c>.</summary>
    private static Label[] ParseLabels(string selector)
    {
        var expr = PromParser.Parse(selector);
        if (expr is not VectorSelector vs || vs.Matchers.Any(m => m.Type != MatcherType.Equal))
        {
            throw new PromQLException($"invalid series \"{selector}\": expected a metric name and equality matchers");
        }

        return LabelSet.Sorted(vs.Matchers.Select(m => new Label(m.Name, m.Value)));
    }

    private static string AlertsString(List<(Label[] Labels, Dictionary<string, string> Annotations)> alerts)
    {
        if (alerts.Count == 0)
        {
            return "[]";
        }

        var sorted = alerts.OrderBy(a => LabelSet.Format(a.Labels), StringComparer.Ordinal).ToList();
        var sb = new StringBuilder("[\n");
        for (int i = 0; i < sorted.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(",\n");
            }

            var annotations = LabelSet.Sorted(sorted[i].Annotations.Select(a => new Label(a.Key, a.Value)));
            sb.Append(i.ToString(CultureInfo.InvariantCulture)).Append(":\n  Labels:").Append(Braces(sorted[i].Labels)).Append("\n  Annotations:").Append(Braces(annotations));
        }

        // promtool indents every line after the first by 12 spaces.
        return sb.Append("\n]").ToString().Replace("\n", "\n            ", StringComparison.Ordinal);
    }

    /// <summary>Prometheus' labels.String(): <c>{a="b", c="d"}</c>, <c>__name__</c> as an ordinary label.</summary>
    private static string Braces(Label[] labels) =>
        "{" + string.Join(", ", labels.Select(l => $"{l.Name}=\"{Escape(l.Value)}\"")) + "}";

    private static string SamplesString(List<(Label[] Labels, double Value)> samples)
    {
        if (samples.Count == 0)
        {
            return "nil";
        }

        return string.Join(", ", samples
            .Select(s => Braces(s.Labels) + " " + FormatE(s.Value))
            .Order(StringComparer.Ordinal));
    }

    /// <summary>Go's strconv.FormatFloat(v, 'E', -1, 64): shortest digits in exponent form, <c>1E+00</c>.</summary>
    internal static string FormatE(double v)
    {
        if (double.IsNaN(v))
        {
            return "NaN";
        }

        if (double.IsInfinity(v))
        {
            return v > 0 ? "+Inf" : "-Inf";
        }

        // The shortest round-trip digits, re-expressed in exponent form.
        string r = v.ToString("R", CultureInfo.InvariantCulture);
        int significant = r.Replace("-", string.Empty, StringComparison.Ordinal).Split('E')[0].Replace(".", string.Empty, StringComparison.Ordinal).TrimStart('0').TrimEnd('0').Length;
        string e = v.ToString("E" + Math.Max(significant - 1, 0).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int at = e.IndexOf('E', StringComparison.Ordinal);
        int exponent = int.Parse(e.AsSpan(at + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return e[..at] + "E" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Quote(string text) => "\"" + Escape(text) + "\"";
}
