using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Monitor.Tests.TestSupport;

namespace Monitor.Benchmarks.Alerting;

/// <summary>
/// The real-time soak of the reliability issue: 1,000 TCP checks every second, targets going down for 8–16 s at
/// random (a new outage every 250 ms, none on a target that came back less than 30 s ago), and Monitor killed with
/// SIGKILL at a random moment every 10–40 s and restarted at once on the same store, for 10 minutes. A webhook sink
/// (answering in 0–200 ms, so some kills land mid-send) records every message with its Idempotency-Key.
/// <c>dotnet run -c Release --project bench/Monitor.Benchmarks -- soak [--checks 1000] [--minutes 10]</c>
/// Every outage that a running Monitor could see (a ready process for 5 s of it without a break: the check's
/// second, the rule's 2 s <c>for</c>, an evaluation) must be told firing under exactly one key and resolved under
/// exactly one key; no message may name an outage that did not happen. Exit code 1 otherwise.
/// </summary>
internal static class SoakHarness
{
    private static readonly TimeSpan Observable = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(string[] args)
    {
        int checks = HarnessArgs.Int(args, "--checks", 1000);
        var duration = TimeSpan.FromMinutes(HarnessArgs.Int(args, "--minutes", 10));
        await using var sink = await RecordingSink.StartAsync();
        var sinkRandom = new Random(3);
        sink.Respond = async _ =>
        {
            int ms;
            lock (sinkRandom)
            {
                ms = sinkRandom.Next(0, 200);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(ms), TimeProvider.System);
            return (200, "ok", null);
        };

        string dir = Path.Combine(Path.GetTempPath(), "monitor-soak-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var targets = Enumerable.Range(0, checks).Select(_ => new Target()).ToArray();
        int port = FreePort.Get();
        string config = WriteConfig(dir, port, targets, sink);
        string dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "monitor.dll"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var readyUri = new Uri($"http://127.0.0.1:{port}/readyz");

        var lives = new List<Life>();
        var started = TimeProvider.System.GetUtcNow();
        var end = started + duration;
        using var stopFlapping = new CancellationTokenSource();
        var flapper = Task.Run(() => FlapAsync(targets, end, stopFlapping.Token));

        var killRandom = new Random(20261202);
        int midSend = 0;
        Life life = await StartAsync(dll, config, dir, http, readyUri);
        lives.Add(life);
        Console.WriteLine($"soak: {checks} checks, {duration.TotalMinutes:0} min; first start ready in {(life.Ready - life.Started).TotalMilliseconds:0} ms");
        while (true)
        {
            var wait = TimeSpan.FromMilliseconds(killRandom.Next(10_000, 40_000));
            if (TimeProvider.System.GetUtcNow() + wait > end)
            {
                break;
            }

            await Task.Delay(wait, TimeProvider.System);
            midSend += sink.InFlight > 0 ? 1 : 0;
            life.Kill();
            life = await StartAsync(dll, config, dir, http, readyUri);
            lives.Add(life);
        }

        await flapper;
        foreach (var target in targets)
        {
            target.Up();
        }

        // Every outage has ended: the last process must resolve what it (or one before it) told firing.
        var settle = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(90);
        while (TimeProvider.System.GetUtcNow() < settle && Analyse(targets, lives, sink.Requests).Owed > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System);
        }

        // A little longer, so a late or repeated message would be seen.
        await Task.Delay(TimeSpan.FromSeconds(5), TimeProvider.System);
        life.Kill();
        var result = Analyse(targets, lives, sink.Requests);
        var requests = sink.Requests;
        int repeats = requests.Count - requests.Select(r => r.Headers.GetValueOrDefault("Idempotency-Key") ?? "").Distinct().Count();
        var readies = lives.Select(l => (l.Ready - l.Started).TotalMilliseconds).ToList();
        Console.WriteLine($"  processes {lives.Count} (kills {lives.Count - 1}, {midSend} with a webhook request in flight); start → ready median {Statistics.Median(readies):0} ms, max {readies.Max():0} ms; peak RSS {lives.Max(l => l.PeakRss) / 1048576.0:0} MiB");
        Console.WriteLine($"  outages {result.Outages}, observable {result.ObservableOutages}; messages {requests.Count}, repeated sends under one key {repeats}");
        Console.WriteLine($"  observable outages told firing under exactly one key: {result.FiringOnce}, never: {result.FiringLost}, under several keys: {result.FiringDuplicated}");
        Console.WriteLine($"  outages told firing told resolved under exactly one key: {result.ResolvedOnce}, never: {result.ResolvedLost}, under several keys: {result.ResolvedDuplicated}");
        Console.WriteLine($"  unobservable outages told anyway: {result.UnobservableTold}; messages naming no outage: {result.Spurious}");
        foreach (string line in result.Problems.Take(20))
        {
            Console.WriteLine("    " + line);
        }

        foreach (var target in targets)
        {
            target.Dispose();
        }

        Directory.Delete(dir, recursive: true);
        bool ok = result.FiringLost == 0 && result.FiringDuplicated == 0 && result.ResolvedLost == 0 && result.ResolvedDuplicated == 0 && result.Spurious == 0;
        Console.WriteLine(ok ? "  nothing lost, nothing duplicated" : "  FAILED");
        return ok ? 0 : 1;
    }

    private static string WriteConfig(string dir, int port, Target[] targets, RecordingSink sink)
    {
        File.WriteAllText(Path.Combine(dir, "rules.yml"), """
            groups:
              - name: soak
                rules:
                  - alert: TargetDown
                    expr: probe_success == 0
                    for: 2s
                    labels: { severity: P1 }
            """);
        var lines = new System.Text.StringBuilder();
        for (int i = 0; i < targets.Length; i++)
        {
            lines.Append(CultureInfo.InvariantCulture, $"  - {{ name: t{i}, tcp: {{ address: \"127.0.0.1:{targets[i].Port}\" }} }}\n");
        }

        string path = Path.Combine(dir, "monitor.yaml");
        File.WriteAllText(path, $$"""
            server: { listen: "127.0.0.1:{{port}}" }
            defaults: { interval: 1s, timeout: 1s }
            checks:
            {{lines}}
            rule_files: [rules.yml]
            evaluation_interval: 1s
            severities:
              P1: { ack_within: 1h, resolve_within: 1d, notify: [hook], repeat: 1h }
            routing: { group_by: [alertname, check], group_wait: 0s, group_interval: 1s }
            receivers:
              - { name: hook, webhook: { url: "{{sink.Url("/hook")}}" } }
            """);
        return path;
    }

    /// <summary>A new outage every 250 ms on a random target that has been up for 30 s, lasting 8–16 s.</summary>
    private static async Task FlapAsync(Target[] targets, DateTimeOffset end, CancellationToken stop)
    {
        var random = new Random(7);
        var ups = new List<Task>();
        while (!stop.IsCancellationRequested && TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(16) < end)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, CancellationToken.None);
            var now = TimeProvider.System.GetUtcNow();
            var target = targets[random.Next(targets.Length)];
            if (!target.IsUp || now - target.UpSince < TimeSpan.FromSeconds(30))
            {
                continue;
            }

            target.Down();
            var length = TimeSpan.FromMilliseconds(random.Next(8_000, 16_000));
            ups.Add(Task.Delay(length, TimeProvider.System, CancellationToken.None).ContinueWith(_ => target.Up(), TaskScheduler.Default));
        }

        await Task.WhenAll(ups);
    }

    private static async Task<Life> StartAsync(string dll, string config, string dir, HttpClient http, Uri ready)
    {
        var life = new Life(BenchProcess.Start("dotnet", [dll, "run", "--config", config], dir), TimeProvider.System.GetUtcNow());
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(ready);
                if (response.IsSuccessStatusCode)
                {
                    life.Ready = TimeProvider.System.GetUtcNow();
                    life.StartSampling();
                    return life;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            if (life.Process.HasExited)
            {
                throw new InvalidOperationException($"Monitor exited with {life.Process.ExitCode} before it was ready");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System);
        }
    }

    private sealed record Outcome(int Outages, int ObservableOutages, int FiringOnce, int FiringLost, int FiringDuplicated,
        int ResolvedOnce, int ResolvedLost, int ResolvedDuplicated, int UnobservableTold, int Spurious, int Owed, List<string> Problems);

    private static Outcome Analyse(Target[] targets, List<Life> lives, IReadOnlyList<RecordedRequest> requests)
    {
        // (target, outage index) → keys under which it was told firing / resolved
        var told = new Dictionary<(int, int), (HashSet<string> Firing, HashSet<string> Resolved)>();
        var problems = new List<string>();
        int spurious = 0;
        foreach (var request in requests)
        {
            using var document = JsonDocument.Parse(request.Body);
            string key = request.Headers.GetValueOrDefault("Idempotency-Key") ?? Guid.NewGuid().ToString();
            foreach (var alert in document.RootElement.GetProperty("alerts").EnumerateArray())
            {
                string check = alert.GetProperty("labels").GetProperty("check").GetString()!;
                var startsAt = DateTimeOffset.Parse(alert.GetProperty("startsAt").GetString()!, CultureInfo.InvariantCulture);
                int t = int.Parse(check.AsSpan(1), CultureInfo.InvariantCulture);
                int index = targets[t].OutageAt(startsAt);
                if (index < 0)
                {
                    spurious++;
                    problems.Add($"{check}: an alert starting {startsAt:HH:mm:ss.fff} names no outage");
                    continue;
                }

                if (!told.TryGetValue((t, index), out var sets))
                {
                    sets = ([], []);
                    told[(t, index)] = sets;
                }

                (alert.GetProperty("status").GetString() == "resolved" ? sets.Resolved : sets.Firing).Add(key);
            }
        }

        int outages = 0, observable = 0, firingOnce = 0, firingLost = 0, firingDup = 0, resolvedOnce = 0, resolvedLost = 0, resolvedDup = 0, unobservableTold = 0, owed = 0;
        for (int t = 0; t < targets.Length; t++)
        {
            var periods = targets[t].Outages;
            for (int i = 0; i < periods.Count; i++)
            {
                outages++;
                var (from, to) = periods[i];
                told.TryGetValue((t, i), out var sets);
                int firing = sets.Firing?.Count ?? 0, resolved = sets.Resolved?.Count ?? 0;
                bool seeable = to is { } upAgain && LongestReady(lives, from, upAgain) >= Observable;
                if (!seeable)
                {
                    unobservableTold += firing > 0 ? 1 : 0;
                }
                else
                {
                    observable++;
                    if (firing == 1)
                    {
                        firingOnce++;
                    }
                    else if (firing == 0)
                    {
                        firingLost++;
                        problems.Add($"t{t}: outage {from:HH:mm:ss.fff}–{to:HH:mm:ss.fff} never told firing");
                    }
                    else
                    {
                        firingDup++;
                        problems.Add($"t{t}: outage {from:HH:mm:ss.fff} told firing under {firing} keys");
                    }
                }

                if (firing > 0)
                {
                    if (resolved == 1)
                    {
                        resolvedOnce++;
                    }
                    else if (resolved == 0)
                    {
                        owed++;
                        resolvedLost++;
                        problems.Add($"t{t}: outage {from:HH:mm:ss.fff}–{to:HH:mm:ss.fff} told firing, never resolved");
                    }
                    else
                    {
                        resolvedDup++;
                        problems.Add($"t{t}: outage {from:HH:mm:ss.fff} told resolved under {resolved} keys");
                    }
                }
            }
        }

        return new Outcome(outages, observable, firingOnce, firingLost, firingDup, resolvedOnce, resolvedLost, resolvedDup, unobservableTold, spurious, owed, problems);
    }

    /// <summary>The longest stretch of [from, to] during which one Monitor process was up (ready and not yet killed).</summary>
    private static TimeSpan LongestReady(List<Life> lives, DateTimeOffset from, DateTimeOffset to)
    {
        var best = TimeSpan.Zero;
        foreach (var life in lives)
        {
            var start = life.Ready > from ? life.Ready : from;
            var stop = (life.Killed ?? DateTimeOffset.MaxValue) < to ? life.Killed!.Value : to;
            if (stop - start > best)
            {
                best = stop - start;
            }
        }

        return best;
    }

    /// <summary>One Monitor process: when it started, became ready and was killed, and its peak resident memory.</summary>
    private sealed class Life(Process process, DateTimeOffset started)
    {
        private Timer? _sampler;

        public Process Process { get; } = process;

        public DateTimeOffset Started { get; } = started;

        public DateTimeOffset Ready { get; set; }

        public DateTimeOffset? Killed { get; private set; }

        public double PeakRss { get; private set; }

        public void StartSampling() => _sampler = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));

        public void Kill()
        {
            _sampler?.Dispose();
            Sample();
            Killed = TimeProvider.System.GetUtcNow();
            Process.Kill();
            Process.WaitForExit();
            Process.Dispose();
        }

        private void Sample()
        {
            try
            {
                PeakRss = Math.Max(PeakRss, Load.ProcessStats.Memory(Process.Id).Peak);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // exited
            }
        }
    }

    /// <summary>A TCP target with the record of its outages.</summary>
    private sealed class Target : IDisposable
    {
        private readonly TcpToggle _toggle = new();
        private readonly Lock _lock = new();
        private readonly List<(DateTimeOffset From, DateTimeOffset? To)> _outages = [];

        public int Port => _toggle.Port;

        public bool IsUp { get; private set; } = true;

        public DateTimeOffset UpSince { get; private set; } = DateTimeOffset.MinValue;

        public List<(DateTimeOffset From, DateTimeOffset? To)> Outages
        {
            get
            {
                lock (_lock)
                {
                    return [.. _outages];
                }
            }
        }

        public void Down()
        {
            lock (_lock)
            {
                _toggle.Flip();
                IsUp = false;
                _outages.Add((TimeProvider.System.GetUtcNow(), null));
            }
        }

        public void Up()
        {
            lock (_lock)
            {
                if (IsUp)
                {
                    return;
                }

                _toggle.Up();
                IsUp = true;
                UpSince = TimeProvider.System.GetUtcNow();
                _outages[^1] = (_outages[^1].From, UpSince);
            }
        }

        /// <summary>The outage an alert starting at <paramref name="startsAt"/> belongs to, or -1: its start lies in it (a second of slack before).</summary>
        public int OutageAt(DateTimeOffset startsAt)
        {
            lock (_lock)
            {
                for (int i = 0; i < _outages.Count; i++)
                {
                    var (from, to) = _outages[i];
                    if (startsAt >= from - TimeSpan.FromSeconds(1) && startsAt <= (to ?? DateTimeOffset.MaxValue))
                    {
                        return i;
                    }
                }

                return -1;
            }
        }

        public void Dispose() => _toggle.Dispose();
    }
}
