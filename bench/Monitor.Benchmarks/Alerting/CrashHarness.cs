using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Monitor.Tests.TestSupport;

namespace Monitor.Benchmarks.Alerting;

/// <summary>
/// The crash scenario of the lifecycle issue, run against Monitor or against Alertmanager 0.25 so the two can
/// be compared: two targets go down and up on a fixed schedule while the system under test is killed with
/// SIGKILL at random points and restarted on its own storage; a webhook sink records what arrives.
/// <c>dotnet run -c Release --project bench/Monitor.Benchmarks -- crash monitor|alertmanager [--kills 50]</c>
/// For Alertmanager the harness plays Prometheus: it pushes each down target's alert every second
/// (endsAt = now + 4m) and, once up, its resolution (endsAt = now) for 15 s.
/// </summary>
internal static class CrashHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        string system = args[0];
        int kills = args.Length > 2 && args[1] == "--kills" ? int.Parse(args[2], CultureInfo.InvariantCulture) : 50;
        await using var sink = await RecordingSink.StartAsync();
        var random = new Random(20261122);
        sink.Respond = async _ =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 300)), TimeProvider.System);
            return (200, "ok", null);
        };
        string dir = Path.Combine(Path.GetTempPath(), "monitor-crash-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var targets = new[] { new TcpToggle(), new TcpToggle() };
        int port = FreePort.Get();
        Func<Process> start = system switch
        {
            "monitor" => MonitorStarter(dir, port, targets, sink),
            "alertmanager" => AlertmanagerStarter(dir, port, sink),
            _ => throw new ArgumentException("crash monitor|alertmanager"),
        };

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
        var pusher = system == "alertmanager" ? Task.Run(() => PushLoopAsync(port, targets, stop.Token)) : Task.CompletedTask;

        int midSend = 0;
        for (int i = 0; i < kills; i++)
        {
            using var process = start();
            if (i % 5 == 4)
            {
                var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                sink.Arrived = _ => arrived.TrySetResult();
                await Task.WhenAny(arrived.Task, Task.Delay(TimeSpan.FromSeconds(8), TimeProvider.System));
                sink.Arrived = null;
                midSend += sink.InFlight > 0 ? 1 : 0;
            }
            else
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(300, 2500)), TimeProvider.System);
            }

            process.Kill();
            await process.WaitForExitAsync();
        }

        stop.Cancel();
        await flipper;
        foreach (var target in targets)
        {
            target.Up();
        }

        using var stopFinal = new CancellationTokenSource();
        var finalPusher = system == "alertmanager" ? Task.Run(() => PushLoopAsync(port, targets, stopFinal.Token)) : Task.CompletedTask;
        await pusher;
        using (var final = start())
        {
            await Task.Delay(TimeSpan.FromSeconds(30), TimeProvider.System);
            final.Kill();
            await final.WaitForExitAsync();
        }

        stopFinal.Cancel();
        await finalPusher;

        var episodes = new Dictionary<(string, string), (int Firing, int Resolved)>();
        var distinct = new Dictionary<(string, string), (HashSet<string> Firing, HashSet<string> Resolved)>();
        foreach (var request in sink.Requests)
        {
            using var document = JsonDocument.Parse(request.Body);
            string key = request.Headers.GetValueOrDefault("Idempotency-Key") ?? Guid.NewGuid().ToString();
            foreach (var alert in document.RootElement.GetProperty("alerts").EnumerateArray())
            {
                var id = (alert.GetProperty("labels").GetProperty("check").GetString()!, alert.GetProperty("startsAt").GetString()!);
                var e = episodes.GetValueOrDefault(id);
                bool resolved = alert.GetProperty("status").GetString() == "resolved";
                episodes[id] = resolved ? (e.Firing, e.Resolved + 1) : (e.Firing + 1, e.Resolved);
                if (!distinct.TryGetValue(id, out var d))
                {
                    d = ([], []);
                    distinct[id] = d;
                }

                (resolved ? d.Resolved : d.Firing).Add(key);
            }
        }

        int down = targets.Sum(t => t.DownPeriods);
        int extraFiring = episodes.Values.Sum(e => Math.Max(0, e.Firing - 1));
        int extraResolved = episodes.Values.Sum(e => Math.Max(0, e.Resolved - 1));
        int lostFiring = episodes.Values.Count(e => e.Firing == 0);
        int lostResolved = episodes.Values.Count(e => e.Resolved == 0);
        Console.WriteLine($"system {system}: kills {kills} (mid-send {midSend}), down periods {down}, messages {sink.Requests.Count}, episodes {episodes.Count}");
        Console.WriteLine($"  episodes with more than one firing message: {episodes.Values.Count(e => e.Firing > 1)} ({extraFiring} extra messages)");
        Console.WriteLine($"  episodes with more than one resolved message: {episodes.Values.Count(e => e.Resolved > 1)} ({extraResolved} extra messages)");
        Console.WriteLine($"  episodes never notified firing: {lostFiring}; never notified resolved: {lostResolved}");
        Console.WriteLine($"  episodes told firing under more than one idempotency key: {distinct.Values.Count(d => d.Firing.Count > 1)}; resolved: {distinct.Values.Count(d => d.Resolved.Count > 1)} (Alertmanager sends no key: each message counts)");
        Directory.Delete(dir, recursive: true);
        return 0;
    }

    private static Func<Process> MonitorStarter(string dir, int port, TcpToggle[] targets, RecordingSink sink)
    {
        string dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "monitor.dll"));
        File.WriteAllText(Path.Combine(dir, "rules.yml"), """
            groups:
              - name: crash
                rules:
                  - alert: TargetDown
                    expr: probe_success == 0
                    for: 2s
                    labels: { severity: P1 }
            """);
        File.WriteAllText(Path.Combine(dir, "monitor.yaml"), $$"""
            server: { listen: "127.0.0.1:{{port}}" }
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
            """);
        return () => BenchProcess.Start("dotnet", [dll, "run", "--config", Path.Combine(dir, "monitor.yaml")], dir);
    }

    private static Func<Process> AlertmanagerStarter(string dir, int port, RecordingSink sink)
    {
        File.WriteAllText(Path.Combine(dir, "alertmanager.yml"), $$"""
            route:
              receiver: hook
              group_by: [alertname, check]
              group_wait: 0s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: hook
                webhook_configs:
                  - url: {{sink.Url("/hook")}}
                    send_resolved: true
            """);
        return () => BenchProcess.Start("prometheus-alertmanager", [
            "--config.file=" + Path.Combine(dir, "alertmanager.yml"),
            "--storage.path=" + Path.Combine(dir, "data"),
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--cluster.listen-address=",
            "--log.level=error",
        ], dir);
    }

    /// <summary>Prometheus' side: every second, each down target's alert firing; after it recovers, resolved for 15 s.</summary>
    private static async Task PushLoopAsync(int port, TcpToggle[] targets, CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (!stop.IsCancellationRequested)
        {
            var now = TimeProvider.System.GetUtcNow();
            var alerts = new List<string>();
            for (int t = 0; t < targets.Length; t++)
            {
                var (since, resolvedAt) = targets[t].Episode;
                if (since is null)
                {
                    continue;
                }

                string endsAt = resolvedAt is { } r ? Time(r) : Time(now.AddMinutes(4));
                if (resolvedAt is { } done && now - done > TimeSpan.FromSeconds(15))
                {
                    continue;
                }

                alerts.Add($$"""{"labels":{"alertname":"TargetDown","check":"t{{t}}","severity":"P1"},"startsAt":"{{Time(since.Value)}}","endsAt":"{{endsAt}}"}""");
            }

            if (alerts.Count > 0)
            {
                try
                {
                    using var _ = await http.PostAsync(new Uri($"http://127.0.0.1:{port}/api/v2/alerts"), new StringContent("[" + string.Join(",", alerts) + "]", Encoding.UTF8, "application/json"), stop);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // down: Prometheus retries on its next evaluation
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);


}
