using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Rules.Engine;

/// <summary>The running service evaluates its rule files over its own live series.</summary>
public sealed class RuleEngineServiceTests
{
    [Fact]
    public async Task Service_EvaluatesRulesOverLiveChecks_AndFiresAndResolves()
    {
        string rulesDir = Tools.TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(rulesDir, "probe.rules.yml"), """
            groups:
            - name: probes
              rules:
              - alert: ProbeDown
                expr: probe_success == 0
                for: 2s
                labels: { severity: P1 }
                annotations: { summary: "{{ $labels.check }} is down" }
            """);
        int closed = FreePort.Get();
        await using var monitor = await MonitorProcess.StartAsync($$"""
            evaluation_interval: 1s
            rule_files: ["{{rulesDir}}/*.rules.yml"]
            checks:
              - name: dead
                tcp: { address: "127.0.0.1:{{closed}}" }
                interval: 1s
                timeout: 500ms
            """);
        await Eventually.HoldsAsync(
            () => Task.FromResult(System.Text.RegularExpressions.Regex.IsMatch(monitor.Output, "Alert ProbeDown [0-9a-f]{16} \\(P1\\) is firing")),
            TimeSpan.FromSeconds(30),
            () => monitor.Output);
        Assert.Contains("Rules loaded: 1 groups, 1 rules", monitor.Output);
        Assert.Contains("monitor_rule_evaluation_duration_seconds_count", await monitor.GetStringAsync("/metrics"));
        Assert.Contains("\"alertname\":\"ProbeDown\"", await monitor.GetStringAsync("/api/v1/alerts"));

        // The port opens: the alert resolves.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, closed);
        listener.Start();
        await Eventually.HoldsAsync(
            () => Task.FromResult(System.Text.RegularExpressions.Regex.IsMatch(monitor.Output, "Alert ProbeDown [0-9a-f]{16} \\(P1\\) is resolved")),
            TimeSpan.FromSeconds(30),
            () => monitor.Output);
        Directory.Delete(rulesDir, recursive: true);
    }
}
