using System.Text.Json;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;
using Xunit.Abstractions;

namespace Monitor.IntegrationTests.Alerting;

/// <summary>
/// The store's promise (docs/alerting.md) under <c>kill -9</c>: the real service watches two TCP targets that go down and up while it
/// is killed with SIGKILL at random points (every fifth kill lands while a webhook send is in flight) and
/// restarted on the same SQLite store. Every firing episode must reach the webhook exactly once as firing and
/// once as resolved; a repeat is allowed only for a send cut off by the kill, and it carries the same
/// Idempotency-Key. No down period may turn into two episodes.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Kills = 50;

    [Fact]
    public async Task KilledAtRandomPoints_EachEpisodeIsNotifiedExactlyOnce()
    {
        await using var sink = await RecordingSink.StartAsync();
        var random = new Random(20261122);
        sink.Respond = async _ =>
        {
            // A slow receiver widens the window in which a kill cuts a send short.
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 300)), TimeProvider.System);
            return (200, "ok", null);
        };
        var targets = new[] { new TcpToggle(), new TcpToggle() };
        string dir = Tools.TempDirectory();
        int port = FreePort.Get();
        await File.WriteAllTextAsync(Path.Combine(dir, "rules.yml"), """
            groups:
              - name: crash
                rules:
                  - alert: TargetDown
                    expr: probe_success == 0
                    for: 2s
                    labels: { severity: P1 }
                    annotations: { summary: "{{ $labels.check }} is down" }
            """);
        string config = $$"""
            defaults: { interval: 1s, timeout: 1s }
            checks:
              - { name: t0, tcp: { address: "127.0.0.1:{{targets[0].Port}}" } }
              - { name: t1, tcp: { address: "127.0.0.1:{{targets[1].Port}}" } }
            rule_files: [rules.yml]
            evaluation_interval: 1s
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [hook], repeat: 1h }
            routing: { group_by: [alertname, check], group_wait: 0s, group_interval: 1s }
            receivers:
              - { name: hook, webhook: { url: "{{sink.Url("/hook")}}" } }
            """;

        using var stop = new CancellationTokenSource();
        var flipper = Task.Run(async () =>
        {
            var flipRandom = new Random(7);
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(flipRandom.Next(2500, 6000)), TimeProvider.System, CancellationToken.None);
                if (!stop.IsCancellationRequested)
                {
                    targets[flipRandom.Next(2)].Flip();
                }
            }
        });

        int midSend = 0;
        MonitorProcess? monitor = null;
        try
        {
            for (int i = 0; i < Kills; i++)
            {
                monitor = await MonitorProcess.StartAsync(config, directory: dir, port: port, waitReady: false);
                monitor.KeepDirectory = true;
                if (i % 5 == 4)
                {
                    // Kill while a send is in flight: wait for the sink to hold a request.
                    var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    sink.Arrived = _ => arrived.TrySetResult();
                    await Task.WhenAny(arrived.Task, Task.Delay(TimeSpan.FromSeconds(8), TimeProvider.System));
                    sink.Arrived = null;
                    if (sink.InFlight > 0)
                    {
                        midSend++;
                    }
                }
                else
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(random.Next(300, 2500)), TimeProvider.System);
                }

                await monitor.KillAsync();
                await monitor.DisposeAsync();
            }

            stop.Cancel();
            await flipper;
            foreach (var target in targets)
            {
                target.Up();
            }

            var lastStart = TimeProvider.System.GetUtcNow(); // the killed processes' requests all arrived before this
            monitor = await MonitorProcess.StartAsync(config, directory: dir, port: port);
            monitor.KeepDirectory = true;
            await Eventually.HoldsAsync(
                () => Task.FromResult(WebhookEpisodes.Analyse(sink.Requests).All(e => e.Value.Resolved.Count > 0)),
                TimeSpan.FromSeconds(60),
                () => "not every episode was resolved:\n" + WebhookEpisodes.Describe(sink.Requests) + "\n" + monitor.Output);

            // Anything sent twice has arrived: both checks and the rule have run three more times, the outbox is
            // empty and every attempt of the last process is in the sink.
            await Eventually.ProgressedAsync(3, TimeSpan.FromSeconds(60), monitor);
            await Eventually.DeliveredAsync(sink, TimeSpan.FromSeconds(30), [monitor], since: lastStart);
        }
        finally
        {
            stop.Cancel();
            if (monitor is not null)
            {
                monitor.KeepDirectory = false;
                await monitor.DisposeAsync();
            }

            foreach (var target in targets)
            {
                target.Dispose();
            }
        }

        var requests = sink.Requests;
        var episodes = WebhookEpisodes.Analyse(requests);
        int duplicates = requests.Count - requests.Select(r => r.Headers["Idempotency-Key"]).Distinct().Count();
        output.WriteLine($"kills {Kills} (mid-send {midSend}), requests {requests.Count}, episodes {episodes.Count}, duplicate sends {duplicates}");
        output.WriteLine(WebhookEpisodes.Describe(requests));
        Assert.True(episodes.Count >= 4, $"too few episodes to mean anything: {episodes.Count}");
        Assert.True(midSend >= 1, "no kill landed mid-send");
        foreach (var ((fingerprint, startsAt), e) in episodes)
        {
            Assert.True(e.Firing.Count == 1, $"episode {fingerprint}@{startsAt}: firing sent under {e.Firing.Count} keys");
            Assert.True(e.Resolved.Count == 1, $"episode {fingerprint}@{startsAt}: resolved sent under {e.Resolved.Count} keys");
        }

        Assert.True(duplicates <= Kills, $"{duplicates} repeated sends for {Kills} kills");
        for (int t = 0; t < targets.Length; t++)
        {
            int seen = episodes.Keys.Count(k => requests.Any(r => r.Body.Contains($"\"check\":\"t{t}\"", StringComparison.Ordinal) && r.Body.Contains(k.Fingerprint, StringComparison.Ordinal)));
            Assert.True(seen <= targets[t].DownPeriods, $"target t{t}: {seen} episodes from {targets[t].DownPeriods} down periods");
        }
    }
}
