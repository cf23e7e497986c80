using System.Text.Json;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;
using Xunit.Abstractions;

namespace Monitor.IntegrationTests.Alerting;

/// <summary>
/// Scheduled reports under <c>kill -9</c>, on the real service and store: an every-minute report is killed while
/// its send is held by the receiver, and the restarted service sends that occurrence again under the same
/// Idempotency-Key (never a second one); then the service is stopped across an occurrence, and the next start
/// sends the missed occurrence once (marked late only when over a minute late, which this test does not wait for).
/// </summary>
public sealed class ReportCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ReportKilledMidSend_IsSentAgainUnderItsKey_AndOneMissedWhileDown_ArrivesOnce()
    {
        await using var sink = await RecordingSink.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool holdFirst = true;
        sink.Respond = async request =>
        {
            if (holdFirst)
            {
                holdFirst = false;
                await release.Task.WaitAsync(TimeSpan.FromSeconds(30), TimeProvider.System).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            return (200, "ok", null);
        };
        string dir = Tools.TempDirectory();
        int port = FreePort.Get();
        string config = $$"""
            defaults: { interval: 5s, timeout: 1s }
            checks:
              - { name: self, tcp: { address: "127.0.0.1:{{port}}" } }
            reports:
              - { name: minutely, cron: "* * * * *", notify: [hook] }
            receivers:
              - { name: hook, webhook: { url: "{{sink.Url("/hook")}}" } }
            """;

        MonitorProcess? monitor = null;
        string missedKey = string.Empty;
        try
        {
            // 1. The first occurrence is held by the receiver; the service is killed while it waits.
            var arrived = new TaskCompletionSource<RecordedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
            sink.Arrived = r => arrived.TrySetResult(r);
            monitor = await MonitorProcess.StartAsync(config, directory: dir, port: port);
            monitor.KeepDirectory = true;
            var first = await arrived.Task.WaitAsync(TimeSpan.FromSeconds(90), TimeProvider.System);
            sink.Arrived = null;
            string firstKey = first.Headers["Idempotency-Key"];
            await monitor.KillAsync();
            await monitor.DisposeAsync();
            release.TrySetResult();

            // 2. Restarted: the cut-off send goes out again, under the same key.
            monitor = await MonitorProcess.StartAsync(config, directory: dir, port: port);
            monitor.KeepDirectory = true;
            await Eventually.HoldsAsync(
                () => Task.FromResult(sink.Requests.Count(r => r.Headers["Idempotency-Key"] == firstKey) >= 2),
                TimeSpan.FromSeconds(60),
                () => "the killed send was not repeated:\n" + Describe(sink.Requests) + "\n" + monitor.Output);
            await monitor.KillAsync();
            await monitor.DisposeAsync();

            // 3. Down across the next minute boundary (and two seconds more), then started again.
            var down = TimeProvider.System.GetUtcNow();
            var boundary = new DateTimeOffset(down.Year, down.Month, down.Day, down.Hour, down.Minute, 0, TimeSpan.Zero).AddMinutes(1);
            await Task.Delay(boundary.AddSeconds(2) - down, TimeProvider.System);
            int before = sink.Requests.Count;
            missedKey = $"report-minutely-hook-{boundary.ToUnixTimeSeconds()}";
            var lastStart = TimeProvider.System.GetUtcNow(); // the earlier processes' requests all arrived before this
            monitor = await MonitorProcess.StartAsync(config, directory: dir, port: port);
            monitor.KeepDirectory = true;
            await Eventually.HoldsAsync(
                () => Task.FromResult(sink.Requests.Skip(before).Any(r => r.Headers["Idempotency-Key"] == missedKey)),
                TimeSpan.FromSeconds(30),
                () => $"the occurrence missed while down ({missedKey}) was not sent after the restart:\n" + Describe(sink.Requests) + "\n" + monitor.Output);

            // Whatever this process sends has arrived: it has run its checks again and its outbox is empty.
            await Eventually.ProgressedAsync(2, TimeSpan.FromSeconds(60), monitor);
            await Eventually.DeliveredAsync(sink, TimeSpan.FromSeconds(30), [monitor], since: lastStart);
        }
        finally
        {
            release.TrySetResult();
            if (monitor is not null)
            {
                monitor.KeepDirectory = false;
                await monitor.DisposeAsync();
            }
        }

        var requests = sink.Requests;
        output.WriteLine(Describe(requests));
        var byKey = requests.GroupBy(r => r.Headers["Idempotency-Key"]).ToDictionary(g => g.Key, g => g.Count());

        // The killed occurrence: its held send and the re-send, under one key; every other occurrence once.
        string held = requests[0].Headers["Idempotency-Key"];
        Assert.Equal(2, byKey[held]);
        Assert.All(byKey.Where(kv => kv.Key != held), kv => Assert.True(kv.Value == 1, $"{kv.Key} sent {kv.Value} times"));
        Assert.Equal(1, byKey[missedKey]);
    }

    private static string Text(RecordedRequest request)
    {
        using var document = JsonDocument.Parse(request.Body);
        return document.RootElement.TryGetProperty("text", out var text) ? text.GetString() ?? "" : "";
    }

    private static string Describe(IReadOnlyList<RecordedRequest> requests) =>
        string.Join("\n", requests.Select(r => $"{r.At:HH:mm:ss.fff} {r.Headers["Idempotency-Key"]} {Text(r).Split('\n')[0]}"));
}
