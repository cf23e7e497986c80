using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Delivery;

/// <summary>A receiver that stays down hands its P1 messages to the severity's fallback; one that refuses does at once.</summary>
public sealed class FallbackTests
{
    [Fact]
    public async Task ReceiverDown_FallbackGetsTheMessage_AndTheFailureIsVisible()
    {
        await using var fallback = await RecordingSink.StartAsync();
        await using var refusing = await RecordingSink.StartAsync();
        refusing.Respond = _ => Task.FromResult<(int, string, IDictionary<string, string>?)>((400, "invalid_payload", null));
        int closed = FreePort.Get();
        string dir = Tools.TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "rules.yml"), """
            groups:
              - name: down
                rules:
                  - alert: TargetDown
                    expr: probe_success == 0
                    labels: { severity: "{{ $labels.sev }}" }
            """);
        string config = $$"""
            defaults: { interval: 1s, timeout: 1s }
            checks:
              - { name: a, tcp: { address: "127.0.0.1:{{closed}}" }, labels: { sev: P1 } }
              - { name: b, tcp: { address: "127.0.0.1:{{closed}}" }, labels: { sev: P2 } }
            rule_files: [rules.yml]
            evaluation_interval: 1s
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [down], repeat: 1h, fallback: spare }
              P2: { ack_within: 1h, resolve_within: 1d, notify: [refuses], repeat: 1h, fallback: spare }
            routing: { group_by: [alertname, check], group_wait: 0s, group_interval: 1s }
            receivers:
              - { name: down, webhook: { url: "http://127.0.0.1:{{FreePort.Get()}}/nobody-listens" } }
              - { name: refuses, webhook: { url: "{{refusing.Url("/hook")}}" } }
              - { name: spare, webhook: { url: "{{fallback.Url("/spare")}}" } }
            """;
        await using var monitor = await MonitorProcess.StartAsync(config, directory: dir);
        await Eventually.HoldsAsync(
            () => Task.FromResult(fallback.Requests.Any(r => r.Body.Contains("\"check\":\"a\"", StringComparison.Ordinal))
                && fallback.Requests.Any(r => r.Body.Contains("\"check\":\"b\"", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(60),
            () => monitor.Output);
        Assert.Single(refusing.Requests); // a 400 is not retried
        string alerts = await monitor.GetStringAsync("/api/v1/alerts");
        Assert.Contains("\"receiver\":\"down\"", alerts, StringComparison.Ordinal);
        Assert.Contains("\"state\":\"retrying\"", alerts, StringComparison.Ordinal);
        Assert.Contains("\"receiver\":\"refuses\"", alerts, StringComparison.Ordinal);
        Assert.Contains("\"state\":\"given_up\"", alerts, StringComparison.Ordinal);
        Assert.Contains("400 invalid_payload", alerts, StringComparison.Ordinal);
        Assert.Contains("rejected by the provider, not retried: 400 invalid_payload", monitor.Output, StringComparison.Ordinal);
        string metrics = await monitor.GetStringAsync("/metrics");
        Assert.Contains("monitor_notifications_total{receiver=\"refuses\",result=\"failure\"} 1", metrics, StringComparison.Ordinal);
    }
}
