using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Monitor.Tests.TestSupport;

namespace Monitor.Benchmarks.Alerting;

/// <summary>
/// The alert storm of the delivery issue: 5,000 alerts in 200 groups across P1–P4 arrive within 10 s; P1 goes
/// to PagerDuty and Slack, P2 to PagerDuty, P3 to Slack, P4 to a webhook. The PagerDuty stand-in answers each
/// event 429, then 500, then 202; the Slack stand-in accepts one message a second and answers 429 with
/// Retry-After: 1 otherwise. Measured: time to the first accepted P1 page, time until everything is delivered,
/// accepted messages per minute, lost groups and duplicate messages.
/// <c>dotnet run -c Release --project bench/Monitor.Benchmarks -- storm monitor|alertmanager</c>
/// </summary>
internal static partial class StormHarness
{
    private const int Groups = 200;
    private const int PerGroup = 25;

    public static async Task<int> RunAsync(string[] args)
    {
        string system = args[0];
        await using var pagerDuty = await RecordingSink.StartAsync();
        await using var slack = await RecordingSink.StartAsync();
        await using var webhook = await RecordingSink.StartAsync();
        var attempts = new ConcurrentDictionary<string, int>();
        pagerDuty.Respond = request =>
        {
            using var body = JsonDocument.Parse(request.Body);
            int n = attempts.AddOrUpdate(body.RootElement.GetProperty("dedup_key").GetString()!, 1, (_, v) => v + 1);
            return Task.FromResult<(int, string, IDictionary<string, string>?)>(n switch
            {
                1 => (429, """{"status":"throttle event"}""", null),
                2 => (500, "error", null),
                _ => (202, """{"status":"success","message":"Event processed"}""", null),
            });
        };
        var slackLock = new Lock();
        var last = DateTimeOffset.MinValue;
        slack.Respond = _ =>
        {
            lock (slackLock)
            {
                var now = TimeProvider.System.GetUtcNow();
                if (now - last < TimeSpan.FromSeconds(1))
                {
                    return Task.FromResult<(int, string, IDictionary<string, string>?)>((429, "rate_limited", new Dictionary<string, string> { ["Retry-After"] = "1" }));
                }

                last = now;
                return Task.FromResult<(int, string, IDictionary<string, string>?)>((200, "ok", null));
            }
        };

        string dir = Path.Combine(Path.GetTempPath(), "monitor-storm-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        int port = FreePort.Get();
        using var process = system == "monitor" ? StartMonitor(dir, port, pagerDuty, slack, webhook) : StartAlertmanager(dir, port, pagerDuty, slack, webhook);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        for (int i = 0; i < 100; i++)
        {
            try
            {
                if ((await http.GetAsync(new Uri($"http://127.0.0.1:{port}/" + (system == "monitor" ? "readyz" : "-/ready")))).IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System);
        }

        var start = Stopwatch.GetTimestamp();
        var startedAt = TimeProvider.System.GetUtcNow();
        var sentAt = new DateTimeOffset[20];
        for (int batch = 0; batch < 20; batch++)
        {
            sentAt[batch] = TimeProvider.System.GetUtcNow();
            // Each batch carries whole groups (10 groups × 25 alerts), so every group is complete in its first
            // message and a second accepted message for a group is a duplicate, not a group update.
            var alerts = new List<string>();
            for (int group = batch * (Groups / 20); group < (batch + 1) * (Groups / 20); group++)
            {
                for (int i = 0; i < PerGroup; i++)
                {
                    int a = (group * PerGroup) + i;
                    alerts.Add($$"""{"status":"firing","labels":{"alertname":"Storm{{group:D3}}","service":"svc{{group:D3}}","instance":"i{{a}}","severity":"{{Severity(group)}}"},"annotations":{"summary":"storm alert {{a}}"},"startsAt":"{{startedAt:yyyy-MM-ddTHH:mm:ss.fffZ}}"}""");
                }
            }

            string json = system == "monitor"
                ? $$"""{"version":"4","status":"firing","alerts":[{{string.Join(",", alerts)}}]}"""
                : "[" + string.Join(",", alerts) + "]";
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{port}/" + (system == "monitor" ? "api/v1/alertmanager" : "api/v2/alerts")))
            {
                Content = new StringContent(json, Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "storm-token");
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System);
        }

        // Expected accepted messages: one per group per receiver.
        int p1 = Enumerable.Range(0, Groups).Count(g => Severity(g) == "critical");
        int p2 = Enumerable.Range(0, Groups).Count(g => Severity(g) == "error");
        int p3 = Enumerable.Range(0, Groups).Count(g => Severity(g) == "warning");
        int p4 = Groups - p1 - p2 - p3;
        var deadline = TimeSpan.FromMinutes(10);
        while (Stopwatch.GetElapsedTime(start) < deadline)
        {
            if (Accepted(pagerDuty, "202").Count >= p1 + p2 && Accepted(slack, "200").Count >= p1 + p3 && Accepted(webhook, "200").Count >= p4)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System);
        }

        await Task.Delay(TimeSpan.FromSeconds(5), TimeProvider.System); // late duplicates would arrive now
        var pdGroups = Accepted(pagerDuty, "202");
        var slackGroups = Accepted(slack, "200");
        var hookGroups = Accepted(webhook, "200");
        var all = pdGroups.Concat(slackGroups).Concat(hookGroups).ToList();
        var lastAccepted = all.Max(a => a.At);
        var firstP1 = pdGroups.Where(a => Severity(a.Group) == "critical").Select(a => a.At).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
        var lastP1 = pdGroups.Concat(slackGroups).Where(a => Severity(a.Group) == "critical").Select(a => a.At).DefaultIfEmpty(DateTimeOffset.MaxValue).Max();
        double minutes = (lastAccepted - startedAt).TotalMinutes;
        int lost = Math.Max(0, p1 + p2 - pdGroups.Select(a => a.Group).Distinct().Count())
            + Math.Max(0, p1 + p3 - slackGroups.Select(a => a.Group).Distinct().Count())
            + Math.Max(0, p4 - hookGroups.Select(a => a.Group).Distinct().Count());
        int duplicates = pdGroups.Count - pdGroups.Select(a => a.Group).Distinct().Count()
            + slackGroups.Count - slackGroups.Select(a => a.Group).Distinct().Count()
            + hookGroups.Count - hookGroups.Select(a => a.Group).Distinct().Count();
        Console.WriteLine($"system {system}: {Groups * PerGroup} alerts in {Groups} groups (P1 {p1}, P2 {p2}, P3 {p3}, P4 {p4}) within 10 s");
        Console.WriteLine($"  first P1 page accepted after {(firstP1 - startedAt).TotalSeconds:0.00} s; every P1 message delivered after {(lastP1 - startedAt).TotalSeconds:0.0} s");
        // Each P1 message from the moment its group's alerts were sent (the last P1 groups arrive at 9.5 s).
        var p1Latency = pdGroups.Concat(slackGroups).Where(a => Severity(a.Group) == "critical")
            .Select(a => (a.At - sentAt[a.Group / (Groups / 20)]).TotalSeconds).Order().ToList();
        if (p1Latency.Count > 0)
        {
            Console.WriteLine($"  P1 messages from their alerts' arrival: median {Statistics.Median(p1Latency):0.00} s, max {p1Latency[^1]:0.00} s, {p1Latency.Count(l => l <= 5)} of {p1Latency.Count} within 5 s");
        }
        Console.WriteLine($"  everything delivered after {(lastAccepted - startedAt).TotalSeconds:0.0} s: {all.Count} accepted messages, {all.Count / minutes:0} per minute");
        Console.WriteLine($"  requests: pagerduty {pagerDuty.Requests.Count} (429/500 answered {pagerDuty.Requests.Count(r => r.Answer != "202")}), slack {slack.Requests.Count} (429 answered {slack.Requests.Count(r => r.Answer == "429")}), webhook {webhook.Requests.Count}");
        Console.WriteLine($"  lost groups: {lost}; duplicate accepted messages: {duplicates}");
        // Where the first P1 page's time went: every PagerDuty request of the first group, with its answer.
        var firstGroup = pagerDuty.Requests.Select(r => (Group: int.Parse(GroupName().Match(r.Body).Groups[1].Value, CultureInfo.InvariantCulture), r.At, r.Answer)).Where(r => Severity(r.Group) == "critical").OrderBy(r => r.At).FirstOrDefault();
        var firstAttempts = pagerDuty.Requests.Where(r => GroupName().Match(r.Body).Groups[1].Value == firstGroup.Group.ToString("D3", CultureInfo.InvariantCulture)).OrderBy(r => r.At);
        Console.WriteLine($"  first P1 group's PagerDuty attempts: {string.Join(", ", firstAttempts.Select(r => $"{(r.At - startedAt).TotalSeconds:0.00} s {r.Answer}"))}");
        process.Kill();
        await process.WaitForExitAsync();
        Directory.Delete(dir, recursive: true);
        return 0;
    }

    /// <summary>P1 5 %, P2 15 %, P3 30 %, P4 50 % of the groups.</summary>
    private static string Severity(int group) => (group % 20) switch
    {
        0 => "critical",
        < 4 => "error",
        < 10 => "warning",
        _ => "info",
    };

    [GeneratedRegex("Storm(\\d{3})")]
    private static partial Regex GroupName();

    private static List<(int Group, DateTimeOffset At)> Accepted(RecordingSink sink, string answer) =>
        [.. sink.Requests.Where(r => r.Answer == answer).Select(r => (int.Parse(GroupName().Match(r.Body).Groups[1].Value, CultureInfo.InvariantCulture), r.At))];

    private static Process StartMonitor(string dir, int port, RecordingSink pagerDuty, RecordingSink slack, RecordingSink webhook)
    {
        File.WriteAllText(Path.Combine(dir, "monitor.yaml"), $$"""
            server: { listen: "127.0.0.1:{{port}}", api_token: storm-token }
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [pager, slack], repeat: 4h }
              P2: { ack_within: 1h, resolve_within: 1d, notify: [pager], repeat: 4h }
              P3: { ack_within: 1h, resolve_within: 1d, notify: [slack], repeat: 4h }
              P4: { ack_within: 1h, resolve_within: 1d, notify: [hook], repeat: 4h }
            routing: { group_by: [alertname, service], group_wait: 1s, group_interval: 5m }
            receivers:
              - { name: pager, pagerduty: { routing_key: "0123456789abcdef0123456789abcdef", url: "{{pagerDuty.Url("/v2/enqueue")}}" } }
              - { name: slack, slack: { webhook_url: "{{slack.Url("/services/T/B/x")}}" } }
              - { name: hook, webhook: { url: "{{webhook.Url("/hook")}}" } }
            """);
        string dll = Path.Combine(AppContext.BaseDirectory, "monitor.dll");
        return BenchProcess.Start("dotnet", [dll, "run", "--config", Path.Combine(dir, "monitor.yaml")], dir);
    }

    private static Process StartAlertmanager(string dir, int port, RecordingSink pagerDuty, RecordingSink slack, RecordingSink webhook)
    {
        File.WriteAllText(Path.Combine(dir, "alertmanager.yml"), $$"""
            route:
              receiver: hook
              group_by: [alertname, service]
              group_wait: 1s
              group_interval: 5m
              repeat_interval: 4h
              routes:
                - { matchers: [ 'severity="critical"' ], receiver: p1 }
                - { matchers: [ 'severity="error"' ], receiver: pager }
                - { matchers: [ 'severity="warning"' ], receiver: slack }
            receivers:
              - name: p1
                pagerduty_configs: [ { routing_key: "0123456789abcdef0123456789abcdef", url: "{{pagerDuty.Url("/v2/enqueue")}}", send_resolved: false } ]
                slack_configs: [ { api_url: "{{slack.Url("/services/T/B/x")}}", channel: "#ops", title: '{{ "{{" }} .GroupLabels.alertname {{ "}}" }}', send_resolved: false } ]
              - name: pager
                pagerduty_configs: [ { routing_key: "0123456789abcdef0123456789abcdef", url: "{{pagerDuty.Url("/v2/enqueue")}}", send_resolved: false } ]
              - name: slack
                slack_configs: [ { api_url: "{{slack.Url("/services/T/B/x")}}", channel: "#ops", title: '{{ "{{" }} .GroupLabels.alertname {{ "}}" }}', send_resolved: false } ]
              - name: hook
                webhook_configs: [ { url: "{{webhook.Url("/hook")}}", send_resolved: false } ]
            """);
        return BenchProcess.Start("prometheus-alertmanager", [
            "--config.file=" + Path.Combine(dir, "alertmanager.yml"),
            "--storage.path=" + Path.Combine(dir, "data"),
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--cluster.listen-address=",
            "--log.level=error",
        ], dir);
    }


}
