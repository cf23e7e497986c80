using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Monitor.IntegrationTests.TestSupport;

namespace Monitor.IntegrationTests.Rules.Testing;

/// <summary>
/// The template engine against Prometheus 2.42's: every template below is an annotation of its own alert, the
/// alerts are tested with an expectation that never holds, and promtool and monitor test-rules must print the
/// same annotations — text, numbers, control structures, variables, the builtins, Prometheus' functions with
/// <c>query</c>, and the error texts of templates that fail while they run. Queries are sorted: promtool loads
/// input series in Go map order, so the order of an unsorted result differs between its runs.
/// </summary>
public sealed partial class TemplateDifferentialTests
{
    private static readonly string[] Templates =
    [
        // Values, labels, fields and printing.
        "{{ $value }}", "{{ .Value }}", "{{ $labels.instance }}", "{{ .Labels.job }}", "{{ $labels.missing }}|",
        "{{ $labels }}", "{{ $externalLabels }}", "{{ $externalLabels.cluster }}", "{{ $externalURL }}", "{{ . }}",
        "{{ .ExternalURL }}", "{{ $ }}", "{{ true }}", "{{ 42 }}", "{{ 1.5 }}", "{{ 1e3 }}", "{{ 0x1F }}", "{{ 'a' }}",
        "{{ \"s\" }}", "{{ `raw\\n` }}", "{{ nil }}", "{{/* c */}}x", "a {{- \" b \" -}} c", "{{ $x := 3 }}{{ $x }}",
        "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", "{{ ($value) }}", "{{ (1) }}", "{{ $labels.instance | printf \"%s!\" }}",
        // Control structures.
        "{{ if $labels.job }}has job{{ end }}", "{{ if $labels.nope }}x{{ else }}none{{ end }}",
        "{{ if eq $labels.job \"api\" }}api{{ else if eq $labels.job \"db\" }}db{{ else }}other{{ end }}",
        "{{ with $labels.job }}job={{ . }}{{ end }}", "{{ with $labels.nope }}x{{ else }}no{{ end }}",
        "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}", "{{ range $labels }}{{ . }},{{ end }}",
        "{{ range $i, $s := query \"sort(m)\" }}{{ $i }}:{{ $s.Value }} {{ end }}", "{{ range query \"nothing\" }}x{{ else }}empty{{ end }}",
        "{{ range $i, $s := query \"sort(m)\" }}{{ if eq $i 1 }}{{ break }}{{ end }}{{ $i }}{{ end }}",
        "{{ range $i, $s := query \"sort(m)\" }}{{ if eq $i 0 }}{{ continue }}{{ end }}{{ $i }}{{ end }}",
        "{{ define \"t\" }}[{{ . }}]{{ end }}{{ template \"t\" $value }}", "{{ block \"b\" $labels.job }}<{{ . }}>{{ end }}",
        "{{ template \"nope\" }}", "{{ range 5 }}x{{ end }}", "{{ range $value }}x{{ end }}",
        // Comparison and logic.
        "{{ eq 1 1 }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt 3 2 }} {{ ge 1 2 }}", "{{ eq $value 1234.5678 }}",
        "{{ gt $value 1000.0 }}", "{{ gt $value 1000 }}", "{{ eq \"a\" \"a\" \"b\" }}", "{{ eq 1 2 3 1 }}", "{{ lt \"a\" \"b\" }}",
        "{{ eq true true }}", "{{ lt true false }}", "{{ eq nil 1 }}", "{{ eq nil nil }}", "{{ eq 1 }}", "{{ eq $labels $labels }}", "{{ lt nil 1 }}", "{{ le 1 1.0 }}", "{{ and 1 0 2 }}", "{{ or 0 \"\" 3 }}", "{{ and 1 2 }}",
        "{{ or 0 0 }}", "{{ not 0 }}", "{{ not $labels.job }}", "{{ and $labels.nope (index $labels \"x\") }}",
        // Builtins.
        "{{ len $labels }}", "{{ len \"héllo\" }}", "{{ len (query \"sort(m)\") }}", "{{ len 3 }}", "{{ index $labels \"job\" }}",
        "{{ index $labels \"nope\" }}|", "{{ index (query \"sort(m)\") 0 }}", "{{ index (query \"sort(m)\") 9 }}", "{{ index $labels 1 }}",
        "{{ slice \"abcdef\" 1 3 }}", "{{ slice \"abc\" 2 1 }}", "{{ print 1 2 \"a\" \"b\" 3 }}", "{{ println 1 \"a\" }}",
        "{{ print nil }}", "{{ html \"<a href='x'>&\\\"\" }}", "{{ js \"it's <b> & \\\"q\\\" = \\\\\" }}", "{{ urlquery \"a b&c=d/é\" }}",
        "{{ printf \"%d %5d %-5d| %05d %x %X %o %b %c %q %U\" 42 42 42 42 255 255 8 5 65 65 65 }}",
        "{{ printf \"%f %.2f %8.3f %-8.1f| %e %.3E %g %.3g %G %v\" 3.14159 3.14159 3.14159 3.14159 1234.5678 1234.5678 1234.5678 1234.5678 1e21 0.000001 }}",
        "{{ printf \"%+d %+.1f % d\" 5 2.5 7 }}", "{{ printf \"%s %q %v %10s|%-10s| %.2s %x\" \"hi\" \"hi\\n\" \"hi\" \"hi\" \"hi\" \"hello\" \"hi\" }}",
        "{{ printf \"%t %v\" true false }}", "{{ printf \"%d\" \"str\" }}", "{{ printf \"%s\" 12 }}", "{{ printf \"%d %d\" 1 }}",
        "{{ printf \"%d\" 1 2 }}", "{{ printf \"%\" }}", "{{ printf \"%z\" 1 }}", "{{ printf \"%v\" $labels }}", "{{ printf \"%v\" nil }}",
        "{{ printf \"%s\" nil }}", "{{ printf \"%.1f%%\" 99.5 }}", "{{ printf \"%v|%d|%s\" 1e6 1000000 \"x\" }}", "{{ printf \"%*d|%.*f\" 5 1 2 3.14159 }}",
        "{{ printf \"%v\" (query \"sort(m)\" | first) }}", "{{ printf \"%+v\" (query \"sort(m)\" | first) }}", "{{ printf \"%v\" $ }}",
        // Prometheus' functions.
        "{{ $value | humanize }}", "{{ humanize 0.000012 }}", "{{ humanize \"1234567\" }}", "{{ humanize \"abc\" }}", "{{ humanize true }}",
        "{{ humanize1024 1048576 }}", "{{ humanize1024 0.5 }}", "{{ humanizeDuration 90061 }}", "{{ humanizeDuration 0.0025 }}",
        "{{ humanizeDuration -3.5 }}", "{{ humanizeDuration 59.99 }}", "{{ humanizePercentage 0.12345 }}", "{{ humanizeTimestamp 1435065584.128 }}",
        "{{ humanizeTimestamp 0 }}", "{{ humanizeTimestamp -1.5 }}", "{{ humanizeTimestamp 1e20 }}", "{{ toTime 1435065584.128 }}",
        "{{ toTime \"1\" }}", "{{ (toTime 60).Unix }}", "{{ title \"hello wörld-foo_bar\" }}", "{{ toUpper \"abc\" }}", "{{ toLower \"ABC\" }}",
        "{{ reReplaceAll \"(a+)b\" \"[$1]\" \"aabxab\" }}", "{{ reReplaceAll \"(?P<x>\\\\d)\" \"<${x}>\" \"a1b2\" }}", "{{ reReplaceAll \"(\" \"\" \"x\" }}",
        "{{ $labels.instance | reReplaceAll \":.*\" \"\" }}", "{{ match \"^web\" $labels.instance }}", "{{ match \"(\" \"x\" }}",
        "{{ graphLink \"rate(x[5m]) > 1\" }}", "{{ tableLink \"up\" }}", "{{ stripPort \"host:9090\" }}", "{{ stripPort \"[::1]:80\" }}",
        "{{ stripPort \"nohost\" }}", "{{ stripDomain \"web.example.com:9090\" }}", "{{ stripDomain \"10.0.0.1:80\" }}", "{{ stripDomain \"a.b\" }}",
        "{{ safeHtml \"<b>\" }}", "{{ pathPrefix }}", "{{ externalURL }}", "{{ parseDuration \"1h30m\" }}", "{{ parseDuration \"1d2ms\" }}",
        "{{ parseDuration \"x\" }}", "{{ args 1 \"a\" }}", "{{ (args 1 \"a\").arg1 }}", "{{ (args 1).arg5 }}",
        "{{ with query \"sort(m)\" }}{{ . | first | value }}{{ end }}", "{{ query \"sort(m)\" | first | label \"instance\" }}",
        "{{ range query \"sort_desc(m)\" }}{{ .Labels.instance }}={{ .Value }} {{ end }}", "{{ (query \"scalar(m{instance='web-1:9100'})\" | first).Value }}",
        "{{ range sortByLabel \"instance\" (query \"sort(m)\") }}{{ .Labels.instance }} {{ end }}", "{{ query \"sort(m)\" | first | strvalue }}|",
        "{{ query \"m +\" }}", "{{ query \"sort(m)\" | first | value | printf \"%.2f\" }}", "{{ first (query \"nothing\") }}",
        "{{ printf \"m{instance=%q}\" $labels.instance | query | len }}", "{{ query \"sort(m)\" | first }}",
        // Errors while running.
        "{{ $labels.job.x }}", "{{ $value.x }}", "{{ .Nope }}", "{{ humanize }}", "{{ humanize 1 2 }}", "{{ $value | toUpper }}",
        "{{ toUpper 1 }}", "{{ $labels.job 1 }}", "{{ \"a\" | printf \"%s-%s\" \"b\" }}", "{{ 1 | printf \"%d %d\" 2 }}",
        "{{ label \"x\" nil }}", "{{ value 1 }}", "{{ index nil 1 }}", "{{ len nil }}",
    ];

    private static string RulesFile()
    {
        var sb = new StringBuilder("groups:\n  - name: templates\n    rules:\n");
        for (int i = 0; i < Templates.Length; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"      - alert: T{i}\n        expr: m{{instance=\"web-1:9100\"}}\n        labels: {{ severity: page }}\n        annotations:\n          t: {JsonSerializer.Serialize(Templates[i])}\n");
        }

        return sb.ToString();
    }

    private static string TestFile()
    {
        var sb = new StringBuilder(
            "rule_files: [templates.rules.yml]\nevaluation_interval: 1m\n" +
            "tests:\n  - interval: 1m\n    external_labels: { cluster: prod }\n    external_url: http://monitor.example:9747/mon\n    input_series:\n" +
            "      - series: 'm{instance=\"web-1:9100\",job=\"api\"}'\n        values: '1234.5678x5'\n" +
            "      - series: 'm{instance=\"db-1:5432\",job=\"db\"}'\n        values: '7x5'\n" +
            "      - series: 'm{instance=\"a-0:1\",job=\"db\"}'\n        values: '99x5'\n" +
            "    alert_rule_test:\n");
        for (int i = 0; i < Templates.Length; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"      - alertname: T{i}\n        eval_time: 2m\n        exp_alerts: []\n");
        }

        return sb.ToString();
    }

    private static Dictionary<string, string> Got(string output)
    {
        var got = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in GotBlock().Matches(output))
        {
            got[m.Groups[1].Value] = m.Groups[2].Value;
        }

        return got;
    }

    [Fact]
    public async Task Templates_ExpandAsPromtoolExpandsThem()
    {
        string dir = Tools.TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "templates.rules.yml"), RulesFile());
        string file = Path.Combine(dir, "templates.test.yml");
        await File.WriteAllTextAsync(file, TestFile());
        var (_, promtoolOutput) = await ExternalProcess.RunAsync(Tools.Promtool, ["test", "rules", file]);
        var (_, monitorOutput) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "test-rules", file]);
        var promtool = Got(promtoolOutput);
        var monitor = Got(monitorOutput);
        Assert.True(promtool.Count == Templates.Length, $"promtool printed {promtool.Count} of {Templates.Length} alerts:\n{promtoolOutput[..Math.Min(3000, promtoolOutput.Length)]}");
        var differences = promtool.Where(kv => monitor.GetValueOrDefault(kv.Key) != kv.Value)
            .Select(kv => $"{kv.Key} {Templates[int.Parse(kv.Key[1..], CultureInfo.InvariantCulture)]}\n  promtool: {kv.Value}\n  monitor:  {monitor.GetValueOrDefault(kv.Key, "(nothing)")}")
            .ToList();
        Assert.True(differences.Count == 0, $"{differences.Count} of {promtool.Count} differ:\n{string.Join("\n", differences)}");
        Directory.Delete(dir, recursive: true);
    }

    [GeneratedRegex(@"alertname: (T\d+), time: 2m, \n\s+exp:\[\][^\n]*\n\s+got:\[\n\s+0:\n\s+Labels:\{[^\n]*\}\n\s+Annotations:\{t=(.*)\}\n")]
    private static partial Regex GotBlock();
}
