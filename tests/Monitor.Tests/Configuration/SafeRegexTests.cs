using System.Text.Json;
using System.Text.RegularExpressions;
using Monitor.Alerting;
using Monitor.Api;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Metrics;
using Monitor.Rules.Evaluation;
using Monitor.Rules.PromQL;

namespace Monitor.Tests.Configuration;

/// <summary>
/// Regexes from users and targets run in linear time, and where one cannot, a stalled match is a failure of
/// that one use, never a hang: catastrophic patterns against the inputs that make backtracking explode.
/// </summary>
public class SafeRegexTests
{
    private const string Hostile = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac";

    [Fact]
    public void CatastrophicPattern_RunsOnTheLinearEngine()
    {
        var regex = SafeRegex.Anchored("(a+)+b");
        Assert.True(regex.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.DoesNotMatch(regex, Hostile);
        Assert.Matches(regex, "aaab");
    }

    [Fact]
    public void ConstructTheLinearEngineLacks_FallsBackWithATimeout_OrIsRefusedWhereLinearIsRequired()
    {
        var regex = SafeRegex.Anchored("(?=a)(a|aa)+b");
        Assert.False(regex.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.Equal(SafeRegex.MatchTimeout, regex.MatchTimeout);
        Assert.Matches(regex, "aab");
        var e = Assert.Throws<ArgumentException>(() => SafeRegex.Anchored("(?=a)a", linearOnly: true));
        Assert.Contains("not supported", e.Message);
    }

    [Fact]
    public void BacktrackingFallback_ThatRunsOut_ThrowsTheTimeout_NotAHang()
    {
        // A lookahead forces the backtracking engine; (a|aa)+ then explodes on a long run of a's without b.
        var regex = SafeRegex.Anchored("(?=a)(a|aa)+b");
        Assert.Throws<RegexMatchTimeoutException>(() => regex.IsMatch(new string('a', 5000) + "c"));
    }

    [Fact]
    public void RouteMatchRe_MustBeLinear()
    {
        var errors = MonitorConfig.Parse(
            "routing:\n  routes:\n    - match_re: { service: \"(?!db).*\" }\n      notify: []\n",
            "monitor.yaml",
            _ => null,
            p => throw new FileNotFoundException(p)).Errors.Select(e => e.ToString());
        Assert.Contains(errors, e => e.StartsWith("monitor.yaml:3:", StringComparison.Ordinal) && e.Contains("match_re.service: invalid regular expression \"(?!db).*\": not supported", StringComparison.Ordinal));
    }

    [Fact]
    public void PromQLRegex_AgainstAHostileLabelValue_Evaluates()
    {
        var storage = new MemoryStorage();
        storage.GetOrAdd([new Label("__name__", "up"), new Label("v", Hostile)]).Add(0, 1);
        storage.GetOrAdd([new Label("__name__", "up"), new Label("v", "aab")]).Add(0, 1);
        var result = Assert.IsType<List<PromSample>>(Evaluator.Query(Parser.Parse("up{v=~\"(a+)+b\"}"), 1000, storage, 60_000));
        Assert.Equal("aab", Assert.Single(result).Metric.First(l => l.Name == "v").Value);
        result = Assert.IsType<List<PromSample>>(Evaluator.Query(Parser.Parse("label_replace(up, \"w\", \"$1\", \"v\", \"((a+)+b)\")"), 1000, storage, 60_000));
        Assert.Equal(2, result.Count);
    }

    [Theory]
    [InlineData("(?x)a#", "invalid regular expression")]
    [InlineData("(?=a)a", "not supported")]
    [InlineData("a)(b", "invalid regular expression")]
    public void SilenceMatcher_ValidAloneButNotAnchoredOrNotLinear_IsRefusedAtCreation(string pattern, string expected)
    {
        string body = JsonSerializer.Serialize(new
        {
            matchers = new[] { new { name = "service", value = pattern, isRegex = true } },
            endsAt = "2026-11-22T12:00:00Z",
            createdBy = "k",
        });
        using var doc = JsonDocument.Parse(body);
        var (silence, error) = SilenceRequest.Parse(doc.RootElement, new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
        Assert.Null(silence);
        Assert.StartsWith("matchers[0]: matcher service: ", error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void SilenceMatcher_StoredInvalid_MutesNothing_AndHostileValuesMatchQuickly()
    {
        var labels = new Dictionary<string, string> { ["service"] = Hostile };
        Assert.False(new SilenceMatcher("service", "(?x)a#", true).Matches(labels));
        Assert.False(new SilenceMatcher("service", "(?x)a#", true, IsEqual: false).Matches(labels));
        Assert.False(new SilenceMatcher("service", "(a+)+b", true).Matches(labels));
        Assert.True(new SilenceMatcher("service", "(a+)+c", true).Matches(labels));
    }
}
