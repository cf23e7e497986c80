using System.Diagnostics;
using Monitor.Rules.Testing;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Rules.Testing;

/// <summary>
/// test-rules on broken test files: the suite's files with lines cut, swapped, duplicated or garbled. Each run
/// must end in a report — never an exception, and never an "internal error" (which would be Monitor's own defect).
/// </summary>
public class RuleTestRunnerFuzzTests
{
    [Fact]
    public void MutatedTestFiles_AreReported_NeverCrash()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rtr-fuzz-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var sources = new[] { "alerts/tests/node.test.yml", "tests/Monitor.IntegrationTests/RuleEquivalence/constructs.test.yml" }
            .Select(f => File.ReadAllLines(Repository.File(f)))
            .ToList();
        File.Copy(Repository.File("alerts/node.rules.yml"), Path.Combine(dir, "node.rules.yml"));
        File.Copy(Repository.File("tests/Monitor.IntegrationTests/RuleEquivalence/constructs.rules.yml"), Path.Combine(dir, "constructs.rules.yml"));
        File.WriteAllText(Path.Combine(dir, "broken.rules.yml"), "groups:\n- name: x\n  rules:\n  - record: r\n    expr: sum(\n");
        string[] garbage = ["values: '1+x'", "expr: rate(", "eval_time: -1m", "  - ", ":", "value: .inf", "value: abc", "interval: 0s", "series: '{'", "labels: '{a=}'", "rule_files: [broken.rules.yml]", "tests: 5", "exp_alerts: {}", "\t", "values: '1e400 0x10 stale _x-1'", "eval_time: 99999999999999d"];
        var rnd = new Random(5);
        var clock = Stopwatch.StartNew();
        int runs = 0;
        for (int i = 0; i < 400 && clock.Elapsed < TimeSpan.FromSeconds(20); i++)
        {
            var lines = sources[rnd.Next(sources.Count)].ToList();
            for (int m = 0; m < 1 + rnd.Next(3); m++)
            {
                int at = rnd.Next(lines.Count);
                switch (rnd.Next(4))
                {
                    case 0:
                        lines.RemoveAt(at);
                        break;
                    case 1:
                        lines.Insert(at, lines[rnd.Next(lines.Count)]);
                        break;
                    case 2:
                        lines[at] = new string(' ', rnd.Next(8)) + garbage[rnd.Next(garbage.Length)];
                        break;
                    default:
                        int cut = rnd.Next(lines[at].Length + 1);
                        lines[at] = lines[at][..cut];
                        break;
                }
            }

            string file = Path.Combine(dir, "t.test.yml");
            File.WriteAllLines(file, lines);
            List<string> errors = [];
            var ex = Record.Exception(() => errors = RuleTestRunner.RunFile(file));
            Assert.True(ex is null, $"{string.Join("\n", lines)}\n{ex}");
            Assert.DoesNotContain(errors, e => e.Contains("internal error", StringComparison.Ordinal));
            runs++;
        }

        Assert.True(runs >= 50, $"only {runs} runs");
        Directory.Delete(dir, recursive: true);
    }
}
