using System.Globalization;
using System.Text.Json;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;
using Xunit.Abstractions;

namespace Monitor.IntegrationTests.Alerting;

/// <summary>
/// Restarts must not merge outages: one TCP target goes down for 6 s and up for 6 s, five times, while the real
/// service (500 ms checks) is killed with SIGKILL at a random moment of every outage and of every recovery and
/// restarted on the same store. A restored firing alert is decided as soon as its check has run since the
/// restart, so each recovery is resolved before the next outage begins: the receiver gets exactly five
/// episodes, each once firing and once resolved (a repeat only of a send the kill cut off, under the same key).
/// With a fixed restore grace (2 × (interval + timeout) + evaluation + 5 s = 7.5 s here) a kill in a recovery
/// held the resolution past the next outage's start and two outages became one page.
/// </summary>
public sealed class RestartEpisodeTests(ITestOutputHelper output)
{
    private const int Episodes = 5;
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(6);

    /// <remarks>
    /// Out of the suite for a while (1 of 20 runs failed, 2 of 8 under heavier load): the logs of such runs show
    /// restarted processes that took 4–6 s to come up while builds shared the machine, so whole phases passed with
    /// no Monitor running, or with one killed before its first write landed. The kill now waits until the process
    /// it kills is up: 12 of 12 runs passed on the shared machine, then 20 of 20 consecutive runs (docs/benchmarks.md).
    /// </remarks>
    [Fact]
    public async Task KilledInEveryOutageAndEveryRecovery_EachOutageIsOnePageAndOneResolution()
    {
        await using var sink = await RecordingSink.StartAsync();
        using var target = new TcpToggle();
        string dir = Tools.TempDirectory();
        int port = FreePort.Get();
        await File.WriteAllTextAsync(Path.Combine(dir, "rules.yml"), """
            groups:
              - name: restart
                rules:
                  - alert: TargetDown
                    expr: probe_success == 0
                    labels: { severity: P1 }
                    annotations: { summary: "{{ $labels.check }} is down" }
            """);
        string config = $$"""
            defaults: { interval: 500ms, timeout: 500ms }
            checks:
              - { name: target, tcp: { address: "127.0.0.1:{{target.Port}}" } }
            rule_files: [rules.yml]
            evaluation_interval: 500ms
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [hook], repeat: 1h }
            routing: { group_by: [alertname, check], group_wait: 0s, group_interval: 1s }
            receivers:
              - { name: hook, webhook: { url: "{{sink.Url("/hook")}}" } }
            """;

        var random = new Random(20261202);
        var recoveries = new List<DateTimeOffset>();
        var logs = new System.Text.StringBuilder();
        MonitorProcess? monitor = null;
        try
        {
            monitor = await MonitorProcess.StartAsync(config, directory: dir, port: port);
            monitor.KeepDirectory = true;
            for (int episode = 0; episode < Episodes; episode++)
            {
                foreach (bool down in new[] { true, false })
                {
                    var phaseStart = TimeProvider.System.GetUtcNow();
                    if (down)
                    {
                        target.Flip();
                    }
                    else
                    {
                        target.Up();
                        recoveries.Add(phaseStart);
                    }

                    // The kill lands at a random moment of the phase's first half, so the restarted service (about a second to
                    // start) has seen the phase before the next begins; it is restarted at once. On a loaded machine a start
                    // can take several seconds: the process is killed only once it is up (and has had as long as the drawn
                    // delay), else a phase could pass with no Monitor running at all, which no service could page through.
                    var delay = TimeSpan.FromMilliseconds(random.Next(200, (int)Phase.TotalMilliseconds - 3000));
                    await monitor.WaitReadyAsync();
                    var killAt = Max(phaseStart + delay, TimeProvider.System.GetUtcNow() + TimeSpan.FromMilliseconds(200));
                    killAt = Min(killAt, phaseStart + Phase - TimeSpan.FromMilliseconds(100));
                    if (killAt > TimeProvider.System.GetUtcNow())
                    {
                        await Task.Delay(killAt - TimeProvider.System.GetUtcNow(), TimeProvider.System);
                    }

                    await monitor.KillAsync();
                    logs.Append(CultureInfo.InvariantCulture, $"--- killed at {TimeProvider.System.GetUtcNow():HH:mm:ss.fff} ({(down ? "outage" : "recovery")} {episode})\n").Append(monitor.Output);
                    await monitor.DisposeAsync();
                    monitor = await MonitorProcess.StartAsync(config, directory: dir, port: port, waitReady: false);
                    monitor.KeepDirectory = true;
                    var left = phaseStart + Phase - TimeProvider.System.GetUtcNow();
                    if (left > TimeSpan.Zero)
                    {
                        await Task.Delay(left, TimeProvider.System);
                    }
                }
            }

            var lastStart = TimeProvider.System.GetUtcNow();
            await Eventually.HoldsAsync(
                () => Task.FromResult(WebhookEpisodes.Analyse(sink.Requests).Values.All(e => e.Resolved.Count > 0)),
                TimeSpan.FromSeconds(30),
                () => "not every episode was resolved:\n" + WebhookEpisodes.Describe(sink.Requests) + "\n" + monitor.Output);
            await monitor.WaitReadyAsync();
            await Eventually.ProgressedAsync(3, TimeSpan.FromSeconds(30), monitor);
            await Eventually.DeliveredAsync(sink, TimeSpan.FromSeconds(30), [monitor], since: lastStart);
        }
        finally
        {
            if (monitor is not null)
            {
                logs.Append("--- last process\n").Append(monitor.Output);
                monitor.KeepDirectory = false;
                await monitor.DisposeAsync();
            }
        }

        var requests = sink.Requests;
        var episodes = WebhookEpisodes.Analyse(requests);
        int duplicates = requests.Count - requests.Select(r => r.Headers["Idempotency-Key"]).Distinct().Count();

        // Recovery to resolution: from the moment the target came back to the resolution's arrival.
        var resolvedAt = requests.Where(r => r.Body.Contains("\"status\":\"resolved\"", StringComparison.Ordinal)).Select(r => r.At).Order().ToList();
        var delays = recoveries.Select(up => resolvedAt.FirstOrDefault(at => at >= up) is { } at && at != default ? (at - up).TotalMilliseconds : double.NaN).ToList();
        output.WriteLine($"kills {2 * Episodes}, requests {requests.Count}, episodes {episodes.Count}, duplicate sends {duplicates}");
        output.WriteLine("recovery → resolution (ms): " + string.Join(", ", delays.Select(d => d.ToString("0", CultureInfo.InvariantCulture))));
        output.WriteLine(WebhookEpisodes.Describe(requests));

        Assert.True(episodes.Count == Episodes, $"{episodes.Count} episodes, not {Episodes}:\n{WebhookEpisodes.Describe(requests)}\n{logs}");
        foreach (var (startsAt, e) in episodes)
        {
            Assert.True(e.Firing.Count == 1, $"episode {startsAt}: firing sent under {e.Firing.Count} keys\n{WebhookEpisodes.Describe(requests)}");
            Assert.True(e.Resolved.Count == 1, $"episode {startsAt}: resolved sent under {e.Resolved.Count} keys\n{WebhookEpisodes.Describe(requests)}");
        }

        Assert.True(duplicates <= 2 * Episodes, $"{duplicates} repeated sends for {2 * Episodes} kills");
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
