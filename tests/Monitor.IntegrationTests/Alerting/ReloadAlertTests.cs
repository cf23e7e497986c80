using System.Text.Json;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Alerting;

/// <summary>A reload must not re-send what was already notified; a rule that is gone resolves its alerts.</summary>
public sealed class ReloadAlertTests
{
    private static string Rules(string summary, bool keep = true) => keep
        ? $$"""
            groups:
              - name: down
                rules:
                  - alert: TargetDown
                    expr: probe_success == 0
                    labels: { severity: P1 }
                    annotations: { summary: "{{summary}}" }
            """
        : """
            groups:
              - name: down
                rules:
                  - alert: SomethingElse
                    expr: probe_success > 5
            """;

    [Fact]
    public async Task ReloadWithAChangedRule_SendsNothingAgain_RemovedRuleResolves()
    {
        await using var sink = await RecordingSink.StartAsync();
        string dir = Tools.TempDirectory();
        string rules = Path.Combine(dir, "rules.yml");
        await File.WriteAllTextAsync(rules, Rules("v1"));
        await using var monitor = await MonitorProcess.StartAsync($$"""
            defaults: { interval: 1s, timeout: 1s }
            checks:
              - { name: target, tcp: { address: "127.0.0.1:{{FreePort.Get()}}" } }
            rule_files: [rules.yml]
            evaluation_interval: 1s
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [hook], repeat: 1h }
            routing: { group_by: [alertname], group_wait: 0s, group_interval: 1s }
            receivers:
              - { name: hook, webhook: { url: "{{sink.Url("/hook")}}" } }
            """, directory: dir);
        await Eventually.HoldsAsync(() => Task.FromResult(sink.Requests.Count == 1), TimeSpan.FromSeconds(30), () => monitor.Output);

        await File.WriteAllTextAsync(rules, Rules("v2")); // the group changes: its alert state starts afresh
        monitor.Signal("HUP");
        await Eventually.HoldsAsync(() => Task.FromResult(monitor.Output.Split("Configuration loaded").Length == 3), TimeSpan.FromSeconds(30), () => monitor.Output);

        // The changed rule has run: five more runs of the check and evaluations of the reloaded rule, and nothing
        // decided since is still owed or on its way.
        await Eventually.ProgressedAsync(5, TimeSpan.FromSeconds(60), monitor);
        await Eventually.DeliveredAsync(sink, TimeSpan.FromSeconds(30), [monitor]);
        Assert.Single(sink.Requests);

        await File.WriteAllTextAsync(rules, Rules("", keep: false));
        monitor.Signal("HUP");
        await Eventually.HoldsAsync(
            () => Task.FromResult(sink.Requests.Any(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("status").GetString() == "resolved")),
            TimeSpan.FromSeconds(30),
            () => monitor.Output);
        Assert.Equal(2, sink.Requests.Count);
    }
}
