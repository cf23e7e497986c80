using System.Text.RegularExpressions;
using Monitor.Hosting;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Hosting;

/// <summary>check-config's list of what Monitor publishes about itself follows the metrics reference.</summary>
public partial class SelfMetricsCoverageTests
{
    [GeneratedRegex(@"^\| `(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)` \|", RegexOptions.Multiline)]
    private static partial Regex Row();

    [Fact]
    public void EveryFamilyOfMonitorsOwnMetricsTable_IsKnownToTheCoverageWarning()
    {
        string text = File.ReadAllText(Repository.File("docs/metrics.md"));
        int start = text.IndexOf("## Monitor's own metrics", StringComparison.Ordinal);
        int end = text.IndexOf("### Failure reasons", start, StringComparison.Ordinal);
        Assert.True(start > 0 && end > start);
        var names = Row().Matches(text[start..end]).Select(m => m.Groups["name"].Value).ToList();
        Assert.NotEmpty(names);
        // monitor_scrape_samples is a scrape check's series, not the process's own; a histogram is its _bucket series.
        Assert.DoesNotContain(names, n => n != "monitor_scrape_samples" && !SelectorCoverage.Self.Contains(n) && !SelectorCoverage.Self.Contains(n + "_bucket"));
    }
}
