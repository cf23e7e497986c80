using Monitor.Templating;

namespace Monitor.Tests.Templating;

public class TemplateExpanderTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["instance"] = "web-1", ["job"] = "api" };
    private static readonly Dictionary<string, string> External = new() { ["cluster"] = "prod" };

    [Theory]
    [InlineData("{{ $labels.instance }} down", "web-1 down")]
    [InlineData("{{ .Labels.job }}/{{ $labels.missing }}/", "api//")]
    [InlineData("value {{ $value }}", "value 1234.5678")]
    [InlineData("{{ $value | humanize }}", "1.235k")]
    [InlineData("{{ humanize $value }}", "1.235k")]
    [InlineData("{{ $externalLabels.cluster }}", "prod")]
    [InlineData("{{ printf \"%.2f\" $value }}", "1234.57")]
    [InlineData("{{- \"  trimmed\" -}}  x", "  trimmedx")]
    [InlineData("a {{/* comment */}}b", "a b")]
    [InlineData("{{ $labels.job | toUpper }}", "API")]
    [InlineData("{{ index $labels \"instance\" }}", "web-1")]
    public void Expand_GoTemplateSubset(string template, string expected) =>
        Assert.Equal(expected, TemplateExpander.Expand(template, Labels, 1234.5678, External));

    [Theory]
    [InlineData(0, "0")]
    [InlineData(1, "1")]
    [InlineData(1234, "1.234k")]
    [InlineData(1e6, "1M")]
    [InlineData(0.001234, "1.234m")]
    [InlineData(-25000, "-25k")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    public void Humanize_AsPrometheus(double v, string expected) => Assert.Equal(expected, TemplateExpander.Humanize(v));

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(3, "3s")]
    [InlineData(61, "1m 1s")]
    [InlineData(3661, "1h 1m 1s")]
    [InlineData(90061, "1d 1h 1m 1s")]
    [InlineData(0.25, "250ms")]
    [InlineData(1.5, "1.5s")]
    public void HumanizeDuration_AsPrometheus(double v, string expected) => Assert.Equal(expected, TemplateExpander.HumanizeDuration(v));

    [Theory]
    [InlineData(1e6, "1e+06")]
    [InlineData(123456, "123456")]
    [InlineData(1234567, "1.234567e+06")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(-2.5, "-2.5")]
    public void GoValueFormat_MatchesFmtPercentV(double v, string expected) => Assert.Equal(expected, GoFormat.Value(v));

    [Theory]
    [InlineData("{{ end }}", "unexpected {{end}}")]
    [InlineData("{{ $nope }}", "undefined variable \"$nope\"")]
    [InlineData("a\n{{ if $value }}x", "line 2: unexpected EOF")]
    [InlineData("{{ nosuch $value }}", "function \"nosuch\" not defined")]
    [InlineData("{{ $value ", "unclosed action")]
    public void Validate_ReportsBrokenTemplates(string template, string expected) =>
        Assert.Contains(expected, TemplateExpander.Validate(template));

    [Theory]
    [InlineData("{{ query \"up\" | len }}", "up", false)]
    [InlineData("{{ with \"a\" | query }}{{ end }}{{ range query \"b\" }}{{ end }}", "a,b", false)]
    [InlineData("{{ printf \"x{i=%q}\" $labels.i | query }}", "", true)]
    [InlineData("{{ define \"t\" }}{{ query \"c\" }}{{ end }}{{ template \"t\" }}", "c", false)]
    [InlineData("no queries", "", false)]
    public void Queries_FindsLiteralAndComputedQueries(string template, string literals, bool computed)
    {
        var (found, isComputed) = TemplateExpander.Queries(template);
        Assert.Equal(literals, string.Join(",", found));
        Assert.Equal(computed, isComputed);
    }

    [Theory]
    [InlineData("{{ if gt $value 1000.0 }}big{{ else }}small{{ end }}", "big")]
    [InlineData("{{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}", "instance=web-1 job=api ")]
    [InlineData("{{ with $labels.job }}{{ . | title }}{{ end }}", "Api")]
    [InlineData("{{ $labels.instance | reReplaceAll \"-(\\\\d+)\" \"#$1\" }}", "web#1")]
    [InlineData("{{ query \"up\" }}", "<error expanding template: error executing template __alert_: template: __alert_:1:115: executing \"__alert_\" at <query \"up\">: error calling query: no query engine is available to this template>")]
    public void Expand_ControlStructuresAndFunctions(string template, string expected) =>
        Assert.Equal(expected, TemplateExpander.Expand(template, Labels, 1234.5678, External));
}
