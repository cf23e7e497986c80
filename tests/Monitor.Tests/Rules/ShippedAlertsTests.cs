using System.Text.RegularExpressions;
using Monitor.Rules.RuleFiles;
using Monitor.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace Monitor.Tests.Rules;

/// <summary>
/// Every alerting rule shipped under alerts/ is ready to page: a P1–P4 severity, a <c>for</c>, a summary and a
/// description, and a runbook_url whose section exists in docs/runbooks.md. (That each one fires in its test file,
/// under promtool and monitor test-rules, is PromtoolEquivalenceTests'.)
/// </summary>
public sealed partial class ShippedAlertsTests
{
    public static TheoryData<string> RuleFiles()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Repository.File("alerts"), "*.rules.yml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RuleFiles))]
    public void EveryAlert_HasSeverityForSummaryDescriptionAndARunbookSection(string name)
    {
        string path = Repository.File(Path.Combine("alerts", name));
        var load = RuleFileLoader.Load(path);
        Assert.Empty(load.Errors);
        var anchors = RunbookAnchors();
        var withFor = AlertsWithFor(path);
        var problems = new List<string>();
        var alerts = load.Groups.SelectMany(g => g.Rules).Where(r => r.Alert is not null).ToList();
        Assert.NotEmpty(alerts);
        foreach (var rule in alerts)
        {
            if (!rule.Labels.TryGetValue("severity", out string? severity) || severity is not ("P1" or "P2" or "P3" or "P4"))
            {
                problems.Add($"{rule.Alert}: severity must be P1, P2, P3 or P4, is {severity ?? "missing"}");
            }

            if (!withFor.Contains(rule.Alert!))
            {
                problems.Add($"{rule.Alert}: no for");
            }

            foreach (string annotation in new[] { "summary", "description", "runbook_url" })
            {
                if (!rule.Annotations.TryGetValue(annotation, out string? value) || string.IsNullOrWhiteSpace(value))
                {
                    problems.Add($"{rule.Alert}: no {annotation} annotation");
                }
            }

            if (rule.Annotations.TryGetValue("runbook_url", out string? url))
            {
                string expected = "docs/runbooks.md#" + rule.Alert!.ToLowerInvariant();
                if (url != expected)
                {
                    problems.Add($"{rule.Alert}: runbook_url is {url}, expected {expected}");
                }
                else if (!anchors.Contains(rule.Alert!.ToLowerInvariant()))
                {
                    problems.Add($"{rule.Alert}: docs/runbooks.md has no section {rule.Alert}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void AlertNames_AreUniqueAcrossTheShippedFiles()
    {
        var names = Directory.GetFiles(Repository.File("alerts"), "*.rules.yml")
            .SelectMany(f => RuleFileLoader.Load(f).Groups.SelectMany(g => g.Rules).Select(r => r.Alert).OfType<string>())
            .ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>The alerts whose rule sets <c>for</c> (the loader cannot tell <c>for: 0m</c> from none).</summary>
    private static HashSet<string> AlertsWithFor(string path)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(path)));
        var result = new HashSet<string>(StringComparer.Ordinal);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        foreach (YamlMappingNode group in ((YamlSequenceNode)root.Children[new YamlScalarNode("groups")]).Children.Cast<YamlMappingNode>())
        {
            foreach (YamlMappingNode rule in ((YamlSequenceNode)group.Children[new YamlScalarNode("rules")]).Children.Cast<YamlMappingNode>())
            {
                if (rule.Children.TryGetValue(new YamlScalarNode("alert"), out var alert) && rule.Children.ContainsKey(new YamlScalarNode("for")))
                {
                    result.Add(((YamlScalarNode)alert).Value!);
                }
            }
        }

        return result;
    }

    /// <summary>The anchors of docs/runbooks.md's headings, as GitHub makes them (lower case, spaces to dashes, punctuation dropped).</summary>
    private static HashSet<string> RunbookAnchors() =>
        File.ReadAllLines(Repository.File("docs/runbooks.md"))
            .Where(l => l.StartsWith('#'))
            .Select(l => AnchorDrop().Replace(l.TrimStart('#').Trim().ToLowerInvariant(), string.Empty).Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("[^a-z0-9 _-]")]
    private static partial Regex AnchorDrop();
}
