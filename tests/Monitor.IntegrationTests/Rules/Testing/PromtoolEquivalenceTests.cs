using Monitor.IntegrationTests.TestSupport;
using Monitor.Rules.RuleFiles;
using Monitor.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace Monitor.IntegrationTests.Rules.Testing;

/// <summary>
/// The equivalence suite of issue #3: every rule unit-test file must pass BOTH Prometheus 2.42's
/// <c>promtool test rules</c> and <c>monitor test-rules</c>, and the rule files must pass
/// <c>promtool check rules</c> — so the rules users paste work the same in Monitor and in Prometheus.
/// </summary>
public sealed class PromtoolEquivalenceTests
{
    public static TheoryData<string> TestFiles()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(Repository.Root, "alerts", "tests"), "*.test.yml")
            .Concat(Directory.EnumerateFiles(Path.Combine(Repository.Root, "tests", "Monitor.IntegrationTests", "RuleEquivalence"), "*.test.yml", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Repository.Root, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TestFiles))]
    public async Task TestRules_PassesInPromtoolAndInMonitor(string relativePath)
    {
        string file = Path.Combine(Repository.Root, relativePath);
        var (promtoolCode, promtoolOutput) = await ExternalProcess.RunAsync(Tools.Promtool, ["test", "rules", file]);
        Assert.True(promtoolCode == 0, $"promtool test rules {relativePath} failed:\n{promtoolOutput}");

        var (monitorCode, monitorOutput) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "test-rules", file]);
        Assert.True(monitorCode == 0, $"monitor test-rules {relativePath} failed:\n{monitorOutput}");
        Assert.Contains("SUCCESS", monitorOutput);
    }

    /// <summary>
    /// Every alerting rule under alerts/ fires in at least one test case: some <c>alert_rule_test</c> of a test file
    /// that loads its rule file expects it with a non-empty <c>exp_alerts</c>. With the test above (each file passes
    /// promtool and monitor test-rules) no shipped alert is untested or can never fire.
    /// </summary>
    [Fact]
    public void ShippedRules_EachAlertFiresInItsTestFiles()
    {
        var fired = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (string test in Directory.EnumerateFiles(Path.Combine(Repository.Root, "alerts", "tests"), "*.test.yml"))
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(File.ReadAllText(test)));
            var root = (YamlMappingNode)yaml.Documents[0].RootNode;
            var expected = new HashSet<string>(StringComparer.Ordinal);
            foreach (var testCase in Children(root, "tests").OfType<YamlMappingNode>())
            {
                foreach (var alertTest in Children(testCase, "alert_rule_test").OfType<YamlMappingNode>())
                {
                    if (Children(alertTest, "exp_alerts").Any() && alertTest.Children.TryGetValue(new YamlScalarNode("alertname"), out var name))
                    {
                        expected.Add(((YamlScalarNode)name).Value!);
                    }
                }
            }

            foreach (var ruleFile in Children(root, "rule_files").OfType<YamlScalarNode>())
            {
                string path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(test)!, ruleFile.Value!));
                fired.TryAdd(path, new HashSet<string>(StringComparer.Ordinal));
                fired[path].UnionWith(expected);
            }
        }

        var problems = new List<string>();
        foreach (string rules in Directory.EnumerateFiles(Path.Combine(Repository.Root, "alerts"), "*.rules.yml").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(rules);
            if (!fired.TryGetValue(Path.GetFullPath(rules), out var names))
            {
                problems.Add($"{name}: no test file under alerts/tests loads it");
                continue;
            }

            var load = RuleFileLoader.Load(rules);
            Assert.Empty(load.Errors);
            problems.AddRange(load.Groups.SelectMany(g => g.Rules).Select(r => r.Alert).OfType<string>()
                .Where(alert => !names.Contains(alert))
                .Select(alert => $"{name}: {alert} fires in no test case"));
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    private static IEnumerable<YamlNode> Children(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlSequenceNode sequence ? sequence.Children : [];

    [Fact]
    public async Task TestRules_WrongExpectations_FailInBothWithTheSameReport()
    {
        string dir = Tools.TempDirectory();
        string source = Path.Combine(Repository.Root, "tests", "Monitor.IntegrationTests", "RuleEquivalence");
        File.Copy(Path.Combine(source, "constructs.rules.yml"), Path.Combine(dir, "constructs.rules.yml"));
        string test = await File.ReadAllTextAsync(Path.Combine(source, "constructs.test.yml"));
        // One wrong sample value and one wrong annotation.
        test = test.Replace("web at 533.3m req/s", "web at 1 req/s", StringComparison.Ordinal);
        int at = test.IndexOf("expr: \"time()\"", StringComparison.Ordinal);
        int value = test.IndexOf("value: ", at, StringComparison.Ordinal);
        int end = test.IndexOf('\n', value);
        test = test[..value] + "value: 1234" + test[end..];
        string path = Path.Combine(dir, "wrong.test.yml");
        await File.WriteAllTextAsync(path, test);

        var (promtoolCode, promtoolOutput) = await ExternalProcess.RunAsync(Tools.Promtool, ["test", "rules", path]);
        var (monitorCode, monitorOutput) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "test-rules", path]);
        Assert.Equal(1, promtoolCode);
        Assert.Equal(1, monitorCode);
        foreach (string expected in new[]
        {
            "    expr: \"time()\", time: 7m,\n        exp: {} 1.234E+03\n        got: {} 4.2E+02",
            "Annotations:{summary=\"web at 533.3m req/s\"}",
            "    alertname: ErrorRatioHigh, time: 7m, \n        exp:[",
        })
        {
            Assert.Contains(expected, promtoolOutput);
            Assert.Contains(expected, monitorOutput);
        }

        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task RuleFiles_PassPromtoolCheckRules_AndMonitorCheckConfig()
    {
        var files = Directory.EnumerateFiles(Path.Combine(Repository.Root, "alerts"), "*.rules.yml")
            .Concat(Directory.EnumerateFiles(Path.Combine(Repository.Root, "tests", "Monitor.IntegrationTests", "RuleEquivalence"), "*.rules.yml", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal)
            .ToList();
        var (code, output) = await ExternalProcess.RunAsync(Tools.Promtool, ["check", "rules", .. files]);
        Assert.True(code == 0, output);

        string dir = Tools.TempDirectory();
        string config = Path.Combine(dir, "monitor.yaml");
        await File.WriteAllTextAsync(config, $"rule_files: [{string.Join(", ", files.Select(f => $"\"{f}\""))}]\n");
        (code, output) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "check-config", "--config", config]);
        Assert.True(code == 0, output);
        // Warnings (long ranges, fixed @ times) go to stderr and the verdict OK to stdout, so the two arrive in
        // either order: one OK line, and every other line a warning.
        Assert.Single(output.Split('\n'), l => l.Trim() == "OK");
        Assert.DoesNotContain(output.Split('\n'), l => l.Length > 0 && !l.StartsWith("warning: ", StringComparison.Ordinal) && l.Trim() != "OK");
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task CheckConfig_ReportsWhatPromtoolRejects_AtTheOffendingCharacter()
    {
        string dir = Tools.TempDirectory();
        string rules = Path.Combine(dir, "bad.rules.yml");
        await File.WriteAllTextAsync(rules, """
            groups:
            - name: g
              rules:
              - alert: A
                expr: sum(rate(x[5m]) by (job)
              - alert: B
                expr: topk(3, x) offset 5m
              - record: C
                expr: |
                  sum by (job) (
                    rate(x[5m]) > bool on(a) group_left(a) y
                  )
              - alert: D
                expr: up == 0
                for: soon
              - record: E
                expr: "rate(x[5m])[1h:] + foo(x)"
            """);
        string config = Path.Combine(dir, "monitor.yaml");
        await File.WriteAllTextAsync(config, "rule_files: [bad.rules.yml]\n");
        var (code, output) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "check-config", "--config", config]);
        Assert.Equal(1, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Equal($"{rules}:5:27: groups[0].rules[0].expr: parse error: unexpected <by> in aggregation", lines[0]);
        Assert.Equal($"{rules}:7:11: groups[0].rules[1].expr: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery", lines[1]);
        Assert.Equal($"{rules}:11:21: groups[0].rules[2].expr: parse error: label \"a\" must not occur in ON and GROUP clause at once", lines[2]);
        Assert.StartsWith($"{rules}:15:10: groups[0].rules[3].for: invalid duration \"soon\"", lines[3]);
        Assert.Equal($"{rules}:17:31: groups[0].rules[4].expr: parse error: unknown function with name \"foo\"", lines[4]);

        // promtool rejects the same expressions for the same reasons (it stops at the bad duration first, so
        // it is given the file without that rule).
        string withoutFor = Path.Combine(dir, "exprs.rules.yml");
        await File.WriteAllTextAsync(withoutFor, (await File.ReadAllTextAsync(rules)).Replace("  - alert: D\n    expr: up == 0\n    for: soon\n", string.Empty, StringComparison.Ordinal));
        var (promtoolCode, promtoolOutput) = await ExternalProcess.RunAsync(Tools.Promtool, ["check", "rules", withoutFor]);
        Assert.Equal(1, promtoolCode);
        Assert.Contains("1:17: parse error: unexpected <by> in aggregation", promtoolOutput);
        Assert.Contains("offset modifier must be preceded by", promtoolOutput);
        Assert.Contains("2:15: parse error: label \"a\" must not occur in ON and GROUP clause at once", promtoolOutput);
        Assert.Contains("1:20: parse error: unknown function with name \"foo\"", promtoolOutput);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task CheckConfig_WarnsAboutWhatPromtoolAcceptsButCannotWorkAsWritten()
    {
        string dir = Tools.TempDirectory();
        string rules = Path.Combine(dir, "odd.rules.yml");
        await File.WriteAllTextAsync(rules, """
            groups:
            - name: g
              rules:
              - record: week
                expr: max_over_time(up[7d])
              - record: range
                expr: up[5m]
            """);
        string config = Path.Combine(dir, "monitor.yaml");
        await File.WriteAllTextAsync(config, "rule_files: [odd.rules.yml]\n");
        var (code, output) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "check-config", "--config", config]);
        var (promtoolCode, _) = await ExternalProcess.RunAsync(Tools.Promtool, ["check", "rules", rules]);
        Assert.Equal(0, promtoolCode);
        Assert.Equal(0, code);
        Assert.Contains($"warning: {rules}:5:25: groups[0].rules[0].expr: this selector reads 1w of history", output);
        Assert.Contains($"warning: {rules}:7:11: groups[0].rules[1].expr: the expression is a range vector", output);
        Assert.EndsWith("OK", output.Trim());
        Directory.Delete(dir, recursive: true);
    }
}
