using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Alerting;

/// <summary>
/// alerts/alertmanager.yml, the example for teams that keep Alertmanager: Alertmanager 0.25's own amtool accepts
/// it, and routes each severity (and the mixins' names for it) to the receivers its header promises — P1 and P2
/// to PagerDuty and to Monitor's webhook for escalation (unless Monitor sent them), P3 to Slack, P4 to email,
/// anything else as P3.
/// </summary>
public sealed class AlertmanagerExampleTests
{
    private static readonly string Config = Repository.File("alerts/alertmanager.yml");

    [Fact]
    public async Task AmtoolCheckConfig_Passes()
    {
        var (code, output) = await ExternalProcess.RunAsync(Tools.Amtool, ["check-config", Config]);
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output);
        Assert.Contains(" - 5 receivers", output);
    }

    [Theory]
    [InlineData("severity=P1", "monitor,p1-pagerduty")]
    [InlineData("severity=critical", "monitor,p1-pagerduty")]
    [InlineData("severity=page", "monitor,p1-pagerduty")]
    [InlineData("severity=P2", "monitor,p2-pagerduty")]
    [InlineData("severity=error", "monitor,p2-pagerduty")]
    [InlineData("severity=P3", "p3-slack")]
    [InlineData("severity=warning", "p3-slack")]
    [InlineData("severity=P4", "p4-email")]
    [InlineData("severity=info", "p4-email")]
    [InlineData("severity=none", "p4-email")]
    [InlineData("severity=bogus", "p3-slack")]
    [InlineData("alertname=NoSeverity", "p3-slack")]
    [InlineData("severity=P1 source=monitor", "p1-pagerduty")] // what Monitor pushed itself does not go back to it
    [InlineData("severity=P2 source=monitor alertname=DiskAlmostFull", "p2-pagerduty")]
    public async Task AmtoolRoutesTest_GivesTheSeveritysReceivers(string labels, string receivers)
    {
        var (code, output) = await ExternalProcess.RunAsync(Tools.Amtool, ["config", "routes", "test", "--config.file=" + Config, .. labels.Split(' ')]);
        Assert.True(code == 0, output);
        // amtool warns on stderr that --config.file overrides --alertmanager.url; the answer is the other line.
        string answer = Assert.Single(
            output.Replace("Warning: --config.file flag overrides the --alertmanager.url.", string.Empty, StringComparison.Ordinal)
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal(receivers, answer);

        // --verify-receivers makes amtool itself fail on anything else.
        (code, output) = await ExternalProcess.RunAsync(Tools.Amtool, ["config", "routes", "test", "--config.file=" + Config, "--verify.receivers=" + receivers, .. labels.Split(' ')]);
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task EveryShippedRuleSeverity_ReachesAReceiverThatPages_OrTellsTheTeam()
    {
        // The rules' severities are P1–P4 only (ShippedAlertsTests), and each routes somewhere other than the default.
        foreach (var (severity, receiver) in new[] { ("P1", "p1-pagerduty"), ("P2", "p2-pagerduty"), ("P3", "p3-slack"), ("P4", "p4-email") })
        {
            var (code, output) = await ExternalProcess.RunAsync(Tools.Amtool, ["config", "routes", "test", "--config.file=" + Config, "--verify.receivers=" + (severity is "P1" or "P2" ? "monitor," : string.Empty) + receiver, "severity=" + severity, "alertname=ServiceDown", "check=web"]);
            Assert.True(code == 0, $"{severity}: {output}");
        }
    }
}
