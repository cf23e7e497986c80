using System.Globalization;
using System.Text;
using Monitor.Configuration;
using Monitor.GoCompat;
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
/// <c>monitor test-rules</c>: runs rule unit tests written for <c>promtool test rules</c> the way promtool 2.42
/// does — the same file format (input series in the expanding notation, <c>.inf</c>/<c>.nan</c> values,
/// external labels and URL, group order), the same schedule (every group at every evaluation interval, input
/// samples visible only up to the evaluation's time, expression tests after the last evaluation), the same
/// comparison and the same report. Any problem is reported with its place; nothing ends in a stack trace.
/// </summary>
internal static class RuleTestRunner
{
    public static int Run(IReadOnlyList<string> files, TextWriter stdout, TextWriter stderr)
    {
        bool failed = false;
        foreach (string file in files)
        {
            stdout.WriteLine($"Unit Testing:  {file}");
            List<string> errors;
            try
            {
                errors = RunFile(file);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A defect of Monitor's own, reported as one, not as a stack trace.
                errors = [$"    internal error testing {file}: {e.GetType().Name}: {e.Message}"];
            }

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
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [$"    {e.Message}"];
        }

        var stream = YamlText.Load(text, file, out var yamlError);
        if (stream is null)
        {
            return [$"    {yamlError}"];
        }

        var root = YamlMap.From(ctx, stream.Documents.Count > 0 ? stream.Documents[0].RootNode : new YamlMappingNode(), string.Empty);
        var ruleFiles = root?.Strings("rule_files") ?? [];
        var evaluationInterval = root?.Duration("evaluation_interval") ?? TimeSpan.FromMinutes(1);
        var groupOrder = root?.Strings("group_eval_order") ?? [];
        var tests = root?.Sequence("tests") ?? [];
        root?.Finish();

        // Mistakes in the file itself are all reported (the tests are still read for theirs), and nothing runs.
        var fileErrors = ctx.Errors.Select(e => $"    {e}").ToList();
        ctx.Errors.Clear();
        if (fileErrors.Count > 0)
        {
            foreach (var (node, path) in tests)
            {
                if (YamlMap.From(ctx, node, path) is { } test)
                {
                    fileErrors.AddRange(RunTest(test, [], evaluationInterval, validateOnly: true));
                }
            }

            return fileErrors;
        }

        var orderIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < groupOrder.Count; i++)
        {
            if (!orderIndex.TryAdd(groupOrder[i], i))
            {
                return [$"group name repeated in evaluation order: {groupOrder[i]}"];
            }
        }

        var groups = new List<RuleGroup>();
        var warnings = new List<string>();
        string dir = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        foreach (string pattern in ruleFiles)
        {
            string full = Path.IsPathRooted(pattern) ? pattern : Path.Combine(dir, pattern);
            var matches = Glob(full);
            if (matches.Count == 0)
            {
                Console.Error.WriteLine($"  WARNING: no file match pattern {full}");
            }

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

        // promtool sorts by the order given; groups it does not name come first (index 0), in file order here.
        groups = [.. groups.OrderBy(g => orderIndex.GetValueOrDefault(g.Name))];
        var errors = new List<string>();
        foreach (var (node, path) in tests)
        {
            if (YamlMap.From(ctx, node, path) is { } test)
            {
                errors.AddRange(RunTest(test, groups, evaluationInterval));
            }
        }

        return errors;
    }

    private static List<string> Glob(string pattern)
    {
        if (pattern.AsSpan().IndexOfAny('*', '?', '[') < 0)
        {
            return File.Exists(pattern) ? [pattern] : [];
        }

        string directory = Path.GetDirectoryName(pattern) ?? ".";
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(directory, Path.GetFileName(pattern)).Order(StringComparer.Ordinal)];
    }

    private sealed record AlertTest(TimeSpan EvalTime, string AlertName, List<(Label[] Labels, Label[] Annotations)> Expected);

    private sealed record ExprTest(string Expr, TimeSpan EvalTime, List<(string Labels, double Value)> Expected);

    private static List<string> RunTest(YamlMap test, List<RuleGroup> groups, TimeSpan evaluationInterval, bool validateOnly = false)
    {
        var interval = test.Duration("interval") ?? evaluationInterval;
        var external = test.StringMap("external_labels") ?? [];
        string externalUrl = test.String("external_url") ?? string.Empty;
        string? name = test.String("name");
        var inputs = new List<(string Series, string Values)>();
        foreach (var (node, path) in test.Sequence("input_series") ?? [])
        {
            if (YamlMap.From(test.Context, node, path) is { } series)
            {
                inputs.Add((series.String("series") ?? string.Empty, series.String("values") ?? string.Empty));
                series.Finish();
            }
        }

        var alertTests = new List<AlertTest>();
        foreach (var (node, path) in test.Sequence("alert_rule_test") ?? [])
        {
            if (YamlMap.From(test.Context, node, path) is not { } map)
            {
                continue;
            }

            var evalTime = map.Duration("eval_time", allowZero: true, max: PromDuration.MaxTestTime) ?? TimeSpan.Zero;
            string alertname = map.String("alertname") ?? string.Empty;
            var expected = new List<(Label[], Label[])>();
            foreach (var (alertNode, alertPath) in map.Sequence("exp_alerts") ?? [])
            {
                if (YamlMap.From(test.Context, alertNode, alertPath) is { } alert)
                {
                    var labels = alert.StringMap("exp_labels") ?? [];
                    labels["alertname"] = alertname;
                    expected.Add((FromMap(labels), FromMap(alert.StringMap("exp_annotations") ?? [])));
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

            string expr = map.String("expr") ?? string.Empty;
            var evalTime = map.Duration("eval_time", allowZero: true, max: PromDuration.MaxTestTime) ?? TimeSpan.Zero;
            var expected = new List<(string, double)>();
            foreach (var (sampleNode, samplePath) in map.Sequence("exp_samples") ?? [])
            {
                if (YamlMap.From(test.Context, sampleNode, samplePath) is { } sample)
                {
                    string labels = sample.String("labels") ?? string.Empty;
                    double value = 0;
                    if (sample.Get("value") is YamlScalarNode { Value: { } text } valueNode)
                    {
                        if (YamlFloat(text) is { } v)
                        {
                            value = v;
                        }
                        else
                        {
                            test.Context.Error(valueNode.Start, $"{samplePath}.value: cannot unmarshal {GoText.Quote(text)} into a float64");
                        }
                    }

                    sample.Finish();
                    expected.Add((labels, value));
                }
            }

            map.Finish();
            exprTests.Add(new ExprTest(expr, evalTime, expected));
        }

        test.Finish();
        if (test.Context.Errors.Count > 0)
        {
            var problems = test.Context.Errors.Select(e => $"    {e}").ToList();
            test.Context.Errors.Clear();
            return problems;
        }

        if (validateOnly)
        {
            return [];
        }

        // The input series as promtool's lazy loader reads them: a "load" command, one series per line.
        var loading = new StringBuilder($"load {ShortDuration(interval)}\n");
        foreach (var (series, values) in inputs)
        {
            loading.Append("  ").Append(series).Append(' ').Append(values).Append('\n');
        }

        var storage = new MemoryStorage();
        Loader loader;
        try
        {
            loader = Loader.Parse(loading.ToString(), (long)interval.TotalMilliseconds);
        }
        catch (LoadException e)
        {
            return [e.Message];
        }

        long evalMs = (long)evaluationInterval.TotalMilliseconds;
        var evaluators = groups.Select(g => new GroupEvaluator(g, storage, storage, external, evalMs, externalUrl, externalUrlFunctions: false)).ToList();
        foreach (var alertTest in alertTests)
        {
            if (alertTest.AlertName.Length == 0)
            {
                string group = name is null ? string.Empty : $" (in TestGroup {name})";
                return [$"an item under alert_rule_test misses required attribute alertname at eval_time {PromDuration.Format(alertTest.EvalTime)}{group}"];
            }
        }

        var maxEval = alertTests.Select(a => a.EvalTime).Concat(exprTests.Select(e => e.EvalTime)).DefaultIfEmpty(TimeSpan.Zero).Max();
        var alertTimes = alertTests.Select(a => a.EvalTime).Distinct().Order().ToList();
        int current = 0;
        var errors = new List<string>();
        for (long ts = 0; ts <= (long)maxEval.TotalMilliseconds; ts += evalMs)
        {
            loader.AppendTill(ts, storage);
            var evalErrors = new List<string>();
            foreach (var evaluator in evaluators)
            {
                evaluator.Evaluate(DateTimeOffset.UnixEpoch.AddMilliseconds(ts));
                foreach (var rule in evaluator.Group.Rules)
                {
                    if (evaluator.LastErrors.TryGetValue(rule, out string? error))
                    {
                        evalErrors.Add($"    rule: {rule.Name}, time: {GoDuration(ts)}, err: {error}");
                    }
                }
            }

            errors.AddRange(evalErrors);
            if (evalErrors.Count > 0)
            {
                return errors;
            }

            // promtool checks the alert tests whose eval_time falls in [ts, ts + evaluation_interval).
            while (current < alertTimes.Count && ts <= alertTimes[current].TotalMilliseconds && alertTimes[current].TotalMilliseconds < ts + evalMs)
            {
                var time = alertTimes[current];
                foreach (var alertTest in alertTests.Where(a => a.EvalTime == time))
                {
                    var got = evaluators.SelectMany(e => e.AlertStates.Values)
                        .Where(s => s.Rule.Alert == alertTest.AlertName)
                        .SelectMany(s => s.Alerts)
                        .Where(a => a.State == AlertState.Firing)
                        .Select(a => (a.Labels, Annotations: FromMap(a.Annotations)))
                        .ToList();
                    string expText = AlertsString(alertTest.Expected);
                    string gotText = AlertsString(got);
                    if (expText != gotText)
                    {
                        errors.Add($"{(name is null ? string.Empty : $"    name: {name},\n")}    alertname: {alertTest.AlertName}, time: {PromDuration.Format(alertTest.EvalTime)}, \n        exp:{expText}, \n        got:{gotText}");
                    }
                }

                current++;
            }
        }

        foreach (var exprTest in exprTests)
        {
            string prefix = $"    expr: {GoText.Quote(exprTest.Expr)}, time: {PromDuration.Format(exprTest.EvalTime)}";
            List<(Label[] Labels, double Value)> got;
            try
            {
                var expr = PromParser.Parse(exprTest.Expr);
                got = [.. Evaluator.QueryVector(expr, (long)exprTest.EvalTime.TotalMilliseconds, storage, evalMs).Select(s => (s.Metric, s.V))];
            }
            catch (PromQLException e)
            {
                string message = e.Position >= 0 ? e.ParseErrorText(exprTest.Expr) : e.Message;
                errors.Add($"{prefix}, err: {message}");
                continue;
            }

            var expected = new List<(Label[] Labels, double Value)>();
            string? labelError = null;
            foreach (var (labels, value) in exprTest.Expected)
            {
                try
                {
                    expected.Add((PromParser.ParseMetric(labels), value));
                }
                catch (PromQLException e)
                {
                    labelError = $"labels {GoText.Quote(labels)}: {e.ParseErrorText(labels)}";
                    break;
                }
            }

            if (labelError is not null)
            {
                errors.Add($"{prefix}, err: {labelError}");
                continue;
            }

            expected.Sort((a, b) => Evaluation.Labels.Compare(a.Labels, b.Labels));
            got.Sort((a, b) => Evaluation.Labels.Compare(a.Labels, b.Labels));
            if (!SamplesEqual(expected, got))
            {
                errors.Add($"{prefix},\n        exp: {SamplesString(expected)}\n        got: {SamplesString(got)}");
            }
        }

        return errors;
    }

    private static bool SamplesEqual(List<(Label[] Labels, double Value)> a, List<(Label[] Labels, double Value)> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            // reflect.DeepEqual: labels exactly, values by == (so NaN never matches, -0 matches 0).
            if (!Evaluation.Labels.Comparer.Equals(a[i].Labels, b[i].Labels) || !(a[i].Value == b[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>labels.FromMap: sorted by name, empty values kept.</summary>
    private static Label[] FromMap(IReadOnlyDictionary<string, string> map) =>
        [.. map.Select(kv => new Label(kv.Key, kv.Value)).OrderBy(l => l.Name, StringComparer.Ordinal)];

    /// <summary>A YAML float as go-yaml reads one into a float64: decimal, exponent, .inf, .nan, integers in any base.</summary>
    internal static double? YamlFloat(string text)
    {
        string plain = text.Replace("_", string.Empty, StringComparison.Ordinal);
        switch (plain)
        {
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return double.PositiveInfinity;
            case "-.inf" or "-.Inf" or "-.INF":
                return double.NegativeInfinity;
            case ".nan" or ".NaN" or ".NAN":
                return double.NaN;
        }

        bool negative = plain.StartsWith('-');
        string digits = plain.TrimStart('+', '-');
        if (digits.StartsWith("0x", StringComparison.Ordinal) && ulong.TryParse(digits[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong hex))
        {
            return negative ? -(double)hex : hex;
        }

        if (digits.StartsWith("0b", StringComparison.Ordinal) && digits.Length > 2 && digits[2..].All(c => c is '0' or '1'))
        {
            double v = digits[2..].Aggregate(0.0, (acc, c) => (acc * 2) + (c - '0'));
            return negative ? -v : v;
        }

        if (GoText.ParseFloat(plain, out _) is { } f && !plain.Contains("inf", StringComparison.OrdinalIgnoreCase) && !plain.Contains("nan", StringComparison.OrdinalIgnoreCase))
        {
            return f;
        }

        return null;
    }

    /// <summary>The "load" duration as promtool writes it (model.Duration without a trailing "0s" or "0m").</summary>
    private static string ShortDuration(TimeSpan interval) => PromDuration.Format(interval);

    /// <summary>Go's time.Duration.String() for whole milliseconds: <c>1m0s</c>, <c>1h0m0s</c>, <c>1.5s</c>, <c>500ms</c>.</summary>
    internal static string GoDuration(long ms)
    {
        if (ms == 0)
        {
            return "0s";
        }

        var sb = new StringBuilder();
        if (ms < 0)
        {
            sb.Append('-');
            ms = -ms;
        }

        if (ms < 1000)
        {
            return sb.Append(ms.ToString(CultureInfo.InvariantCulture)).Append("ms").ToString();
        }

        long hours = ms / 3_600_000;
        long minutes = ms / 60_000 % 60;
        long seconds = ms / 1000 % 60;
        long fraction = ms % 1000;
        if (hours > 0)
        {
            sb.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (hours > 0 || minutes > 0)
        {
            sb.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        sb.Append(seconds.ToString(CultureInfo.InvariantCulture));
        if (fraction > 0)
        {
            sb.Append('.').Append(fraction.ToString("000", CultureInfo.InvariantCulture).TrimEnd('0'));
        }

        return sb.Append('s').ToString();
    }

    private static string AlertsString(List<(Label[] Labels, Label[] Annotations)> alerts)
    {
        if (alerts.Count == 0)
        {
            return "[]";
        }

        var sorted = alerts.ToList();
        sorted.Sort((a, b) =>
        {
            int c = Evaluation.Labels.Compare(a.Labels, b.Labels);
            return c != 0 ? c : Evaluation.Labels.Compare(a.Annotations, b.Annotations);
        });
        var sb = new StringBuilder("[\n");
        for (int i = 0; i < sorted.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(",\n");
            }

            sb.Append(i.ToString(CultureInfo.InvariantCulture)).Append(":\n  Labels:").Append(Evaluator.Format(sorted[i].Labels)).Append("\n  Annotations:").Append(Evaluator.Format(sorted[i].Annotations));
        }

        // promtool indents every line after the first by 12 spaces.
        return sb.Append("\n]").ToString().Replace("\n", "\n            ", StringComparison.Ordinal);
    }

    private static string SamplesString(List<(Label[] Labels, double Value)> samples) =>
        samples.Count == 0 ? "nil" : string.Join(", ", samples.Select(s => Evaluator.Format(s.Labels) + " " + FormatE(s.Value)));

    /// <summary>Go's strconv.FormatFloat(v, 'E', -1, 64): shortest digits in exponent form, <c>1E+00</c>.</summary>
    internal static string FormatE(double v) => GoFloat.FormatE(v);

    private sealed class LoadException(string message) : Exception(message);

    /// <summary>promql.LazyLoader: the input series, appended to the storage up to each evaluation's time.</summary>
    private sealed class Loader
    {
        private readonly List<(Label[] Labels, Queue<Point> Points)> _series = [];

        public static Loader Parse(string input, long gapMs)
        {
            var lines = input.Split('\n').Select(l => l.Trim()).Select(l => l.StartsWith('#') ? string.Empty : l).ToList();
            var loader = new Loader();
            var byLabels = new Dictionary<Label[], int>(Evaluation.Labels.Comparer);
            for (int i = 1; i < lines.Count; i++)
            {
                if (lines[i].Length == 0)
                {
                    break; // the load command ends at an empty line
                }

                Label[] labels;
                List<SequenceValue> values;
                try
                {
                    (labels, values) = PromParser.ParseSeriesDesc(lines[i]);
                }
                catch (PromQLException e)
                {
                    // promtool means to add the line's offset but its ParseErrors never match: the line is 1.
                    throw new LoadException(e.ParseErrorText(lines[i]));
                }

                var points = new Queue<Point>();
                long ts = 0;
                foreach (var value in values)
                {
                    if (!value.Omitted)
                    {
                        points.Enqueue(new Point(ts, value.Value));
                    }

                    ts += gapMs;
                }

                // A series given twice keeps its last definition, as the loader's map does.
                var sorted = LabelSet.Sorted(labels);
                if (byLabels.TryGetValue(sorted, out int at))
                {
                    loader._series[at] = (sorted, points);
                }
                else
                {
                    byLabels[sorted] = loader._series.Count;
                    loader._series.Add((sorted, points));
                }
            }

            return loader;
        }

        public void AppendTill(long ts, MemoryStorage storage)
        {
            foreach (var (labels, points) in _series)
            {
                while (points.Count > 0 && points.Peek().T <= ts)
                {
                    var p = points.Dequeue();
                    storage.GetOrAdd(labels).Add(p.T, p.V);
                }
            }
        }
    }
}
