using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Rules.PromQL;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Rules.PromQL;

/// <summary>
/// The parser against Prometheus 2.42's own: thousands of mutated expressions go through promtool check rules
/// in one run, and Monitor must accept exactly what promtool accepts and reject the rest with promtool's
/// message at promtool's position.
/// </summary>
public sealed partial class ParserDifferentialTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task MutatedExpressions_SameVerdict_SameMessage_SamePosition(int seed)
    {
        var cases = PromQLMutations.Generate(seed, 3000);
        string dir = Tools.TempDirectory();
        string rules = Path.Combine(dir, "fuzz.rules.yml");
        var yaml = new StringBuilder("groups:\n");
        for (int i = 0; i < cases.Count; i++)
        {
            yaml.Append("- name: g").Append(i).Append("\n  rules:\n  - record: r\n    expr: ").Append(JsonSerializer.Serialize(cases[i])).Append('\n');
        }

        await File.WriteAllTextAsync(rules, yaml.ToString());
        var (_, output) = await ExternalProcess.RunAsync(Tools.Promtool, ["check", "rules", rules]);
        var promtool = new Dictionary<int, string>();
        foreach (Match m in Verdict().Matches(output))
        {
            promtool[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)] = m.Groups[2].Value;
        }

        var differences = new List<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            string want = promtool.GetValueOrDefault(i, "OK");
            string got;
            try
            {
                Parser.Parse(cases[i]);
                got = "OK";
            }
            catch (PromQLException e)
            {
                got = e.ParseErrorText(cases[i]);
            }

            if (got != want)
            {
                differences.Add($"{JsonSerializer.Serialize(cases[i])}\n  promtool: {want}\n  monitor:  {got}");
            }
        }

        Assert.True(differences.Count == 0, $"{differences.Count} of {cases.Count} differ:\n{string.Join("\n", differences.Take(20))}");
        Directory.Delete(dir, recursive: true);
    }

    [GeneratedRegex(@"(?m)^\S+: \d+:\d+: group ""g(\d+)"", rule 1, ""r"": (?:could not parse expression: )?(.*)$")]
    private static partial Regex Verdict();
}
