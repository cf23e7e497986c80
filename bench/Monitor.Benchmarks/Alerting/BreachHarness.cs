using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Monitor.Tests.TestSupport;

namespace Monitor.Benchmarks.Alerting;

/// <summary>
/// Breach to page: how long after a check's failing run completes does the firing notification reach the
/// receiver, with the check-flip nudge of the rule engine and group timers that fire when group_wait runs out.
/// Monitor runs N background HTTP checks every 10 s (a target farm in its own process, always up) and one TCP
/// check <c>toggle</c> every 1 s that the harness takes down and up. Rule <c>probe_success{check="toggle"} == 0</c>
/// (no <c>for</c>), evaluation_interval 15s, group_wait 0s, group_interval 1s, webhook receiver.
/// Completion of the first failing (recovered) run is the timestamp of Monitor's "Check toggle failed"
/// ("recovered") log line, written right after the run completes; arrival is when the sink received the webhook.
/// <c>dotnet run -c Release --project bench/Monitor.Benchmarks -- breach [--targets 10000] [--episodes 20] [--warmup 1]</c>
/// </summary>
internal static partial class BreachHarness
{
    private const int EvaluationIntervalMs = 15_000;

    public static async Task<int> RunAsync(string[] args)
    {
        int targets = HarnessArgs.Int(args, "--targets", 10_000);
        int episodes = HarnessArgs.Int(args, "--episodes", 20);
        // Episodes run first and left out of the figures: the first evaluation, alert decision and webhook delivery
        // run cold (JIT, the first connection to the receiver), a cost of the process's first page, not of each page.
        int warmup = HarnessArgs.Int(args, "--warmup", 1);
        var random = new Random(20261202);
        await using var sink = await RecordingSink.StartAsync();
        using var toggle = new TcpToggle();
        string dir = Path.Combine(Path.GetTempPath(), "monitor-breach-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var children = new List<Process>();
        try
        {
            int farmPort = FreePort.Get();
            if (targets > 0)
            {
                children.Add(StartSelf(["load", "serve", farmPort.ToString(CultureInfo.InvariantCulture)]));
                await WaitOkAsync(new Uri($"http://127.0.0.1:{farmPort}/hits"), "target farm");
            }

            int port = FreePort.Get();
            WriteConfig(dir, port, farmPort, targets, toggle.Port, sink);
            var failed = new Queue<DateTimeOffset>();
            var recovered = new Queue<DateTimeOffset>();
            var logLock = new Lock();
            var monitor = StartMonitor(dir, line =>
            {
                var m = CheckLine().Match(line);
                if (m.Success)
                {
                    var at = DateTimeOffset.ParseExact(m.Groups[1].Value, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                    lock (logLock)
                    {
                        (m.Groups[2].Value == "failed" ? failed : recovered).Enqueue(at);
                    }
                }
            });
            children.Add(monitor);
            await WaitOkAsync(new Uri($"http://127.0.0.1:{port}/readyz"), "monitor");
            // Every background check has run once and the JIT has settled.
            await Task.Delay(TimeSpan.FromSeconds(targets > 0 ? 15 : 3), TimeProvider.System);

            var firing = new List<double>();
            var resolved = new List<double>();
            var oldTick = new List<double>();
            var seen = new int[1];
            for (int e = 0; e < warmup + episodes; e++)
            {
                bool counted = e >= warmup;
                toggle.Flip(); // down
                var fire = await WaitAsync(sink, "firing", seen, TimeSpan.FromSeconds(30));
                var completed = await TakeAsync(failed, logLock);
                toggle.Up();
                var resolve = await WaitAsync(sink, "resolved", seen, TimeSpan.FromSeconds(30));
                var upCompleted = await TakeAsync(recovered, logLock);
                if (counted && fire is { } f && completed is { } c)
                {
                    firing.Add((f - c).TotalMilliseconds);
                    long ms = c.ToUnixTimeMilliseconds();
                    oldTick.Add(EvaluationIntervalMs - (ms % EvaluationIntervalMs));
                }

                if (counted && resolve is { } r && upCompleted is { } u)
                {
                    resolved.Add((r - u).TotalMilliseconds);
                }

                string name = counted ? $"episode {e - warmup + 1}" : $"warm-up {e + 1}";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: firing {Show(fire, completed)} ms, resolved {Show(resolve, upCompleted)} ms"));
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 3000)), TimeProvider.System);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"breach to page: {targets} background HTTP checks every 10 s, toggle TCP check every 1 s, {episodes} episodes after {warmup} warm-up"));
            Console.WriteLine("  latency (ms)                         median      p90      p99      max   n");
            Row("firing: failed run done -> webhook", firing);
            Row("resolved: good run done -> webhook", resolved);
            Row("old: failed run done -> next 15 s tick", oldTick);
            return firing.Count == episodes ? 0 : 1;
        }
        finally
        {
            foreach (var child in children)
            {
                try
                {
                    child.Kill(entireProcessTree: true);
                    child.WaitForExit(10_000);
                }
                catch (InvalidOperationException)
                {
                }
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    [GeneratedRegex(@"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) .*Check toggle (failed|recovered)")]
    private static partial Regex CheckLine();

    private static string Show(DateTimeOffset? arrival, DateTimeOffset? completion) =>
        arrival is { } a && completion is { } c ? (a - c).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) : "missing";

    private static void Row(string name, List<double> values)
    {
        if (values.Count == 0)
        {
            Console.WriteLine($"  {name,-38} no samples");
            return;
        }

        var sorted = values.Order().ToList();
        double Q(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-38} {Q(0.5),6:0} {Q(0.9),8:0} {Q(0.99),8:0} {sorted[^1],8:0} {sorted.Count,3}"));
    }

    /// <summary>Arrival of the next webhook (after the first seen[0]) whose alert has the given status.</summary>
    private static async Task<DateTimeOffset?> WaitAsync(RecordingSink sink, string status, int[] seen, TimeSpan timeout)
    {
        var start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < timeout)
        {
            var requests = sink.Requests;
            for (; seen[0] < requests.Count; seen[0]++)
            {
                using var body = JsonDocument.Parse(requests[seen[0]].Body);
                if (body.RootElement.GetProperty("alerts").EnumerateArray().Any(a => a.GetProperty("status").GetString() == status))
                {
                    var at = requests[seen[0]].At;
                    seen[0]++;
                    return at;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }

        return null;
    }

    private static async Task<DateTimeOffset?> TakeAsync(Queue<DateTimeOffset> queue, Lock gate)
    {
        for (int i = 0; i < 100; i++)
        {
            lock (gate)
            {
                if (queue.TryDequeue(out var at))
                {
                    return at;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }

        return null;
    }

    private static void WriteConfig(string dir, int port, int farmPort, int targets, int togglePort, RecordingSink sink)
    {
        File.WriteAllText(Path.Combine(dir, "rules.yml"), """
            groups:
              - name: breach
                rules:
                  - alert: TargetDown
                    expr: probe_success{check="toggle"} == 0
                    labels: { severity: P1 }
            """);
        var config = new StringBuilder();
        config.Append(CultureInfo.InvariantCulture, $$"""
            server: { listen: "127.0.0.1:{{port}}" }
            defaults: { interval: 10s, timeout: 5s }
            rule_files: [rules.yml]
            evaluation_interval: 15s
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [hook], repeat: 1h }
            routing: { group_by: [alertname, check], group_wait: 0s, group_interval: 1s }
            receivers:
              - { name: hook, webhook: { url: "{{sink.Url("/hook")}}" } }
            checks:
              - { name: toggle, interval: 1s, timeout: 1s, tcp: { address: "127.0.0.1:{{togglePort}}" } }

            """);
        for (int i = 0; i < targets; i++)
        {
            config.Append(CultureInfo.InvariantCulture, $"  - {{ name: t{i}, http: {{ url: \"http://127.0.0.1:{farmPort}/t/{i}\" }} }}\n");
        }

        File.WriteAllText(Path.Combine(dir, "monitor.yaml"), config.ToString());
    }

    private static Process StartMonitor(string dir, Action<string> line)
    {
        string dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "monitor.dll"));
        var process = Process.Start(new ProcessStartInfo("dotnet", [dll, "run", "--config", Path.Combine(dir, "monitor.yaml")])
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } text)
            {
                line(text);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } text)
            {
                line(text);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static Process StartSelf(string[] args)
    {
        string self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(BreachHarness).Assembly.Location);
        }

        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitOkAsync(Uri uri, string what)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        for (int i = 0; i < 240; i++)
        {
            try
            {
                using var response = await http.GetAsync(uri);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System);
        }

        throw new InvalidOperationException($"{what} did not start");
    }
}
