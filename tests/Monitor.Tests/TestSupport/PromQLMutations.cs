using System.Text.RegularExpressions;

namespace Monitor.Tests.TestSupport;

/// <summary>
/// Mutations of valid PromQL for fuzzing the parser: characters deleted, PromQL tokens inserted or swapped in,
/// pieces of the expression duplicated. The valid expressions are the equivalence suite's own; a seed makes
/// every run reproducible.
/// </summary>
internal static partial class PromQLMutations
{
    private static readonly string[] Tokens =
    [
        "(", ")", "[", "]", "{", "}", ",", ":", "5m", "1h", "0", "1.5", "-", "+", "*", "/", "^", "%", "==", "!=", ">", "<=",
        " bool ", " and ", " or ", " unless ", " on(a) ", " ignoring(b) ", " group_left ", " group_right(c) ", " by (x) ",
        " without (y) ", " offset 5m ", " offset -1m ", " @ 10 ", " @ start() ", " @ end() ", "sum", "rate", "x", "\"s\"",
        "'t'", "=~", "!~", "=", "!", "@", "#", "\n", " ", "topk", "count_values", "label_replace", "inf", "NaN", "0x1f",
        "1e3", "[5m:1m]", "[1m:]", "atan2", "__name__", "time()", "vector(1)", "`r`", "\\", "\"\\u00e9\"", "é", "$",
    ];

    /// <summary>The expressions of the suite's rule files and rule tests.</summary>
    public static List<string> Corpus()
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string dir in new[] { "tests/Monitor.IntegrationTests/RuleEquivalence", "alerts" })
        {
            foreach (string file in Directory.EnumerateFiles(Repository.File(dir), "*.yml", SearchOption.AllDirectories))
            {
                foreach (Match m in ExprLine().Matches(File.ReadAllText(file)))
                {
                    string e = m.Groups[1].Value.Trim();
                    if (e.Length > 2 && e[0] == e[^1] && e[0] is '\'' or '"')
                    {
                        e = e[1..^1];
                    }

                    if (e.Length > 0 && e != "|" && e != ">")
                    {
                        found.Add(e);
                    }
                }
            }
        }

        return [.. found];
    }

    public static List<string> Generate(int seed, int count)
    {
        var corpus = Corpus();
        var rnd = new Random(seed);
        var cases = new List<string>(count);
        while (cases.Count < count)
        {
            string s = corpus[rnd.Next(corpus.Count)];
            int mutations = 1 + rnd.Next(3);
            for (int m = 0; m < mutations; m++)
            {
                int pos = rnd.Next(s.Length + 1);
                switch (rnd.Next(5))
                {
                    case 0 when pos < s.Length:
                        s = s.Remove(pos, 1 + rnd.Next(Math.Min(3, s.Length - pos)));
                        break;
                    case 1:
                        s = s.Insert(pos, Tokens[rnd.Next(Tokens.Length)]);
                        break;
                    case 2 when s.Length > 2:
                        int a = rnd.Next(s.Length);
                        int b = rnd.Next(s.Length);
                        s = s.Insert(pos, s[Math.Min(a, b)..Math.Max(a, b)]);
                        break;
                    case 3:
                        s = s.Insert(pos, Tokens[rnd.Next(Tokens.Length)] + Tokens[rnd.Next(Tokens.Length)]);
                        break;
                    default:
                        if (pos < s.Length)
                        {
                            s = s.Remove(pos, 1).Insert(pos, Tokens[rnd.Next(Tokens.Length)]);
                        }

                        break;
                }
            }

            if (s.Trim().Length > 0 && !s.Contains('\r', StringComparison.Ordinal))
            {
                cases.Add(s);
            }
        }

        return cases;
    }

    [GeneratedRegex(@"(?m)^\s*-?\s*expr:[ \t]*(.+)$")]
    private static partial Regex ExprLine();
}
