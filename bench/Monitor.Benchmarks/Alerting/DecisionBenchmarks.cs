using BenchmarkDotNet.Attributes;
using Monitor.Hosting;
using Monitor.Alerting;
using Monitor.Configuration;

namespace Monitor.Benchmarks.Alerting;

/// <summary>
/// One decision over 5,000 firing alerts in 200 groups, all already notified (the steady state the pipeline
/// decides every second), with the SPEC's inhibit rule, a recurring silence window and a route.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class DecisionBenchmarks
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
    private AlertBook _book = null!;
    private AlertPolicy _policy = null!;
    private int _tick;

    [GlobalSetup]
    public void Setup()
    {
        var result = MonitorConfig.Parse("""
            severities:
              P1: { ack_within: 15m, resolve_within: 2h, notify: [pager], repeat: 1h }
              P2: { ack_within: 30m, resolve_within: 4h, notify: [pager], repeat: 1h }
              P3: { ack_within: 2h, resolve_within: 1d, notify: [chat], repeat: 4h }
              P4: { ack_within: 1d, resolve_within: 1w, notify: [chat], repeat: 1d }
            escalation:
              P1: [ { after: 30m, notify: [lead] } ]
            routing:
              group_by: [alertname, service]
              routes: [ { match: { team: data }, notify: [chat] } ]
            inhibit:
              - { source: { severity: P1 }, target: { severity: P3 }, equal: [service] }
            silences:
              - { name: sunday, cron: "0 2 * * SUN", duration: 2h, timezone: Asia/Seoul, matchers: { service: svc007 } }
            receivers:
              - { name: pager, webhook: { url: "http://127.0.0.1:1/p" } }
              - { name: chat, webhook: { url: "http://127.0.0.1:1/c" } }
              - { name: lead, webhook: { url: "http://127.0.0.1:1/l" } }
            """, "bench.yaml");
        _policy = new AlertPolicy(result.Options!);
        _book = new AlertBook();
        string[] severities = ["P1", "P2", "P3", "P3", "P4"];
        for (int i = 0; i < 5000; i++)
        {
            int group = i % 200;
            var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["alertname"] = $"Alert{group % 40}",
                ["service"] = $"svc{group:D3}",
                ["instance"] = $"i{i}",
                ["severity"] = severities[group % 5],
            };
            var alert = new AlertRecord
            {
                Fingerprint = Fingerprint.Of(labels),
                Origin = AlertOrigin.Rule,
                Labels = labels,
                Severity = AlertRecord.SeverityOf(labels),
                Status = AlertStatus.Firing,
                ActiveAt = T0,
                FiredAt = T0,
                AckedAt = T0, // acknowledged: no repeats or escalation, a quiet steady state
            };
            _book.Alerts[alert.Key] = alert;
        }

        _book.Apply(DecisionCore.Decide(_book, _policy, T0, GuidIds.Instance).Changes);
        _book.Apply(DecisionCore.Decide(_book, _policy, T0.AddMinutes(1), GuidIds.Instance).Changes); // group_wait passed: everything told
    }

    [Benchmark]
    public int Decide() => DecisionCore.Decide(_book, _policy, T0.AddMinutes(2).AddSeconds(++_tick % 60), GuidIds.Instance).Notifications.Count;
}
