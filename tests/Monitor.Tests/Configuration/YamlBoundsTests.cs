using System.Text;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Rules.RuleFiles;

namespace Monitor.Tests.Configuration;

/// <summary>
/// Hostile YAML: cyclic aliases, alias bombs and very deep nesting are errors with a place, before the
/// representation model (which recurses per level and is walked once per alias reference) sees them.
/// </summary>
public class YamlBoundsTests
{
    private static string[] Errors(string yaml) =>
        [.. MonitorConfig.Parse(yaml, "monitor.yaml", _ => null, p => throw new FileNotFoundException(p)).Errors.Select(e => e.ToString())];

    [Fact]
    public void CyclicAlias_IsAnError_AtTheAlias()
    {
        var errors = Errors("external_labels: &a\n  x: *a\n");
        Assert.Equal(["monitor.yaml:2:6: invalid YAML: alias *a is inside the node &a it refers to (a cycle)"], errors);
        errors = Errors("checks: &a\n  - [*a]\n");
        Assert.Equal(["monitor.yaml:2:6: invalid YAML: alias *a is inside the node &a it refers to (a cycle)"], errors);
    }

    [Fact]
    public void BillionLaughs_IsAnError_WhereTheExpansionPassesTheLimit()
    {
        var yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++)
        {
            yaml.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        yaml.Append("checks: *a9\n");
        var errors = Errors(yaml.ToString());
        var error = Assert.Single(errors);
        Assert.Matches(@"^monitor\.yaml:\d+:\d+: invalid YAML: aliases expand the document to more than 1000000 nodes$", error);
    }

    [Fact]
    public void ModestAliasUse_StillLoads()
    {
        // An anchor referenced a few hundred times is ordinary (shared labels, SMTP settings).
        var yaml = new StringBuilder("x-labels: &l { team: gpu, tier: \"1\" }\nchecks:\n");
        for (int i = 0; i < 300; i++)
        {
            yaml.Append($"  - {{ name: c{i}, tcp: {{ address: \"127.0.0.1:{1000 + i}\" }}, labels: *l }}\n");
        }

        Assert.Empty(Errors(yaml.ToString()));
    }

    [Theory]
    [InlineData(100_000, true)]
    [InlineData(100_000, false)]
    public void DeepNesting_IsAnError_NotAStackOverflow(int depth, bool flow)
    {
        string yaml = flow
            ? "checks: " + new string('[', depth) + new string(']', depth) + "\n"
            : "checks:\n" + string.Concat(Enumerable.Range(0, 2000).Select(i => new string(' ', i) + "-\n"));
        var error = Assert.Single(Errors(yaml));
        Assert.Contains($"invalid YAML: nested more than {YamlText.MaxDepth} levels deep", error);
        Assert.StartsWith(flow ? $"monitor.yaml:1:{9 + YamlText.MaxDepth - 1}:" : "monitor.yaml:", error);
    }

    [Fact]
    public void AliasToNoEarlierAnchor_IsAnError()
    {
        Assert.Equal(["monitor.yaml:1:9: invalid YAML: alias *later refers to no anchor &later before it"], Errors("checks: *later\nx: &later []\n"));
    }

    [Fact]
    public void RuleFiles_AreBoundedToo()
    {
        var load = RuleFileLoader.Parse("groups: &g\n  - name: a\n    rules: *g\n", "r.yml");
        Assert.Contains(load.Errors, e => e.ToString() == "r.yml:3:12: invalid YAML: alias *g is inside the node &g it refers to (a cycle)");
    }
}
