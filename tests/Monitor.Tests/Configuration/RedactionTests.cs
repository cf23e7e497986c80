using Monitor.Checks;
using Monitor.Checks.Http;
using Monitor.Configuration;
using Monitor.Metrics;
using Monitor.Scheduling;

namespace Monitor.Tests.Configuration;

/// <summary>A password in a URL is masked wherever it is shown: the check's target, failure messages, details.</summary>
public sealed class RedactionTests
{
    [Theory]
    [InlineData("https://user:secret@host/path", "https://user:xxxxx@host/path")]
    [InlineData("redirected to http://a:b:c@h:8080/x and https://u:p@other/", "redirected to http://a:xxxxx@h:8080/x and https://u:xxxxx@other/")]
    [InlineData("redis://:pw@cache:6379", "redis://:xxxxx@cache:6379")]
    [InlineData("https://user@host/", "https://user@host/")]
    [InlineData("mail me at ops@example.com, see https://host/a@b", "mail me at ops@example.com, see https://host/a@b")]
    public void Text_MasksOnlyPasswords(string text, string expected) => Assert.Equal(expected, Redaction.Text(text));

    [Fact]
    public void HttpCheckTargetAndRunErrors_NeverShowThePassword()
    {
        var options = new CheckOptions
        {
            Name = "web",
            Kind = HttpCheck.Kind,
            Settings = new HttpCheckOptions { Url = new Uri("https://admin:s3cr3t@example.test/health") },
            Interval = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(5),
        };
        Assert.Equal("https://admin:xxxxx@example.test/health", options.Target);

        var store = new SeriesStore();
        var scope = new SeriesScope(store, "web", new Dictionary<string, string>());
        var entry = new ScheduledCheck(new Stub(options), scope, new SelfMetrics(store).CheckDuration("http"));
        entry.Complete(CheckResult.Fail(FailureReasons.Connect, "cannot reach https://admin:s3cr3t@example.test/health") with { Details = ["via https://admin:s3cr3t@proxy/"] }, DateTimeOffset.UnixEpoch, TimeSpan.Zero);
        Assert.Equal("cannot reach https://admin:xxxxx@example.test/health", entry.Status.Error);
        Assert.Equal(["via https://admin:xxxxx@proxy/"], entry.Status.Details);
    }

    private sealed class Stub(CheckOptions options) : ICheck
    {
        public CheckOptions Options { get; } = options;

        public Task<CheckResult> RunAsync(CancellationToken cancellationToken) => Task.FromResult(CheckResult.Ok);

        public void Dispose()
        {
        }
    }
}
