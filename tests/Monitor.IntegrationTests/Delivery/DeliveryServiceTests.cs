using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Delivery;

/// <summary>
/// The real service delivering through stand-ins that enforce the providers' rules (docs/delivery.md) and into a
/// real Alertmanager 0.25: a Slack webhook allowing one message a second (429 + Retry-After otherwise), a
/// PagerDuty endpoint answering 429 and then 500 before it accepts. Everything arrives, nothing early,
/// nothing twice.
/// </summary>
public sealed class DeliveryServiceTests
{
    private const int Checks = 5;

    [Fact]
    public async Task StandIns_RateLimitsAndErrors_EverythingDeliveredOnce_AndAlertmanagerGetsAndResolvesThem()
    {
        await using var slack = await RecordingSink.StartAsync();
        await using var pagerDuty = await RecordingSink.StartAsync();
        var slackLock = new object();
        var lastAccepted = DateTimeOffset.MinValue;
        var blockedUntil = DateTimeOffset.MinValue;
        var early = new ConcurrentBag<string>();
        slack.Respond = request =>
        {
            lock (slackLock)
            {
                var now = TimeProvider.System.GetUtcNow();
                if (now < blockedUntil)
                {
                    early.Add($"{now:HH:mm:ss.fff} before {blockedUntil:HH:mm:ss.fff}");
                }

                if (now - lastAccepted < TimeSpan.FromSeconds(1))
                {
                    blockedUntil = now.AddSeconds(2);
                    return Task.FromResult<(int, string, IDictionary<string, string>?)>((429, "rate_limited", new Dictionary<string, string> { ["Retry-After"] = "2" }));
                }

                lastAccepted = now;
                return Task.FromResult<(int, string, IDictionary<string, string>?)>((200, "ok", null));
            }
        };
        var attempts = new ConcurrentDictionary<string, int>();
        pagerDuty.Respond = request =>
        {
            using var body = JsonDocument.Parse(request.Body);
            string key = body.RootElement.GetProperty("dedup_key").GetString() + "/" + body.RootElement.GetProperty("event_action").GetString();
            int n = attempts.AddOrUpdate(key, 1, (_, v) => v + 1);
            return Task.FromResult<(int, string, IDictionary<string, string>?)>(n switch
            {
                1 => (429, """{"status":"throttle event","message":"Requests for this service are arriving too quickly."}""", null),
                2 => (500, "internal error", null),
                _ => (202, """{"status":"success","message":"Event processed","dedup_key":"x"}""", null),
            });
        };
        await using var alertmanager = await AlertmanagerServer.StartAsync("""
            route: { receiver: blackhole }
            receivers: [ { name: blackhole } ]
            """);

        var listeners = Enumerable.Range(0, Checks).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToList();
        listeners.ForEach(l => l.Stop()); // down
        string dir = Tools.TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "rules.yml"), """
            groups:
              - name: down
                rules:
                  - alert: TargetDown
                    expr: probe_success == 0
                    labels: { severity: critical }
                    annotations: { summary: "{{ $labels.check }} is down" }
            """);
        string checks = string.Join("\n", ports.Select((p, i) => $"  - {{ name: c{i}, tcp: {{ address: \"127.0.0.1:{p}\" }} }}"));
        string config = $$"""
            defaults: { interval: 1s, timeout: 1s }
            checks:
            {{checks}}
            rule_files: [rules.yml]
            evaluation_interval: 1s
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [pager, slack, am], repeat: 1h }
            routing: { group_by: [alertname, check], group_wait: 0s, group_interval: 1s }
            receivers:
              - { name: pager, pagerduty: { routing_key: "0123456789abcdef0123456789abcdef", url: "{{pagerDuty.Url("/v2/enqueue")}}" } }
              - { name: slack, slack: { webhook_url: "{{slack.Url("/services/T0/B0/x")}}" } }
              - { name: am, alertmanager: { urls: ["{{alertmanager.BaseUri}}"] } }
            """;
        await using var monitor = await MonitorProcess.StartAsync(config, directory: dir);

        static int Accepted(RecordingSink sink, string status) => sink.Requests.Count(r => r.Answer == status);
        await Eventually.HoldsAsync(
            async () => Accepted(slack, "200") == Checks && Accepted(pagerDuty, "202") == Checks && await AlertmanagerCountAsync(alertmanager) == Checks,
            TimeSpan.FromSeconds(60),
            () => $"slack {Accepted(slack, "200")}, pagerduty {Accepted(pagerDuty, "202")}\n{monitor.Output}");

        // Resolve every target: PagerDuty gets resolve events (after its 429 and 500), Alertmanager lets them go.
        var up = ports.Select(p => new TcpListener(IPAddress.Loopback, p)).ToList();
        up.ForEach(l => l.Start());
        try
        {
            await Eventually.HoldsAsync(
                async () => Accepted(slack, "200") == 2 * Checks && Accepted(pagerDuty, "202") == 2 * Checks && await AlertmanagerCountAsync(alertmanager) == 0,
                TimeSpan.FromSeconds(90),
                () => $"slack {Accepted(slack, "200")}, pagerduty {Accepted(pagerDuty, "202")}\n{monitor.Output}");
        }
        finally
        {
            up.ForEach(l => l.Stop());
        }

        Assert.Empty(early);
        Assert.True(slack.Requests.Any(r => r.Answer == "429"), "the stand-in never had to limit: the test proves nothing");
        var slackTexts = slack.Requests.Where(r => r.Answer == "200").Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("text").GetString()).ToList();
        Assert.Equal(slackTexts.Count, slackTexts.Distinct().Count());
        var accepted = pagerDuty.Requests.Where(r => r.Answer == "202").Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(Checks, accepted.Count(e => e.GetProperty("event_action").GetString() == "trigger"));
        Assert.Equal(Checks, accepted.Count(e => e.GetProperty("event_action").GetString() == "resolve"));
        Assert.All(attempts.Values, v => Assert.Equal(3, v));
        Assert.All(accepted.Where(e => e.GetProperty("event_action").GetString() == "trigger"), e => Assert.Equal("critical", e.GetProperty("payload").GetProperty("severity").GetString()));
        string metrics = await monitor.GetStringAsync("/metrics");
        Assert.Contains("monitor_notifications_total{receiver=\"pager\",result=\"retry\"} " + (4 * Checks).ToString(CultureInfo.InvariantCulture), metrics, StringComparison.Ordinal);
        Assert.Contains("monitor_notification_queue_length 0", metrics, StringComparison.Ordinal);
    }

    private static async Task<int> AlertmanagerCountAsync(AlertmanagerServer alertmanager)
    {
        string json = await alertmanager.Http.GetStringAsync(new Uri(alertmanager.BaseUri, "/api/v2/alerts"));
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Count(a => a.GetProperty("labels").GetProperty("alertname").GetString() == "TargetDown");
    }
}
