using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Monitor.Benchmarks.Load;

/// <summary>
/// N HTTP targets on loopback probed every interval for a measured window, by Monitor or by the reference
/// stack (blackbox_exporter + Prometheus). Prints executed/planned, scheduler lag, CPU cores and RSS.
/// <code>
/// dotnet run -c Release --project bench/Monitor.Benchmarks -- load monitor  --targets 10000 --interval 10 --window 120 [--keepalive]
/// dotnet run -c Release --project bench/Monitor.Benchmarks -- load blackbox --targets 10000 --interval 10 --window 120
/// dotnet run -c Release --project bench/Monitor.Benchmarks -- load monitor  --targets 50000 --interval 10 --window 60 --addresses 8
/// dotnet run -c Release --project bench/Monitor.Benchmarks -- load quartz   --targets 10000 --interval 10 --window 120 [--tuned] [--dispatch-only]
/// </code>
/// </summary>
internal static class LoadHarness
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly List<Process> Children = [];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length >= 2 && args[0] == "serve")
        {
            return await TargetFarm.ServeAsync(int.Parse(args[1], CultureInfo.InvariantCulture), args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1);
        }

        string mode = args.Length > 0 ? args[0] : "monitor";
        int targets = HarnessArgs.Int(args, "--targets", 10_000);
        int interval = HarnessArgs.Int(args, "--interval", 10);
        int window = HarnessArgs.Int(args, "--window", 120);
        int addresses = HarnessArgs.Int(args, "--addresses", 1);
        string dir = Path.Combine(Path.GetTempPath(), $"monitor-load-{mode}-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);

        try
        {
            int farmPort = FreePort();
            StartSelf(["load", "serve", farmPort.ToString(CultureInfo.InvariantCulture), addresses.ToString(CultureInfo.InvariantCulture)]);
            await WaitOkAsync(new Uri($"http://127.0.0.1:{farmPort}/hits"), "target farm");

            object result = mode switch
            {
                "monitor" => await MeasureMonitorAsync(dir, farmPort, targets, interval, window, args.Contains("--keepalive"), addresses),
                "blackbox" => await MeasureBlackboxAsync(dir, farmPort, targets, interval, window, addresses),
                "quartz" => await QuartzLoad.MeasureAsync(farmPort, targets, interval, window, args.Contains("--tuned"), args.Contains("--dispatch-only"), HitsAsync),
                "probe-cost" => await ProbeCostHarness.MeasureAsync(
                    farmPort, HarnessArgs.String(args, "--variant", "check"), HarnessArgs.Int(args, "--rate", 500), HarnessArgs.Int(args, "--seconds", 30), HarnessArgs.Int(args, "--checks", 1000)),
                _ => throw new ArgumentException($"unknown mode {mode} (monitor, blackbox, quartz, probe-cost)"),
            };
            Console.WriteLine(JsonSerializer.Serialize(result, Indented));
            return 0;
        }
        finally
        {
            // Every child goes, or it would load the machine during the next measurement.
            foreach (var child in Children)
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

    internal sealed record LoadResult(
        string Mode,
        int Targets,
        int IntervalSeconds,
        double WindowSeconds,
        double Planned,
        double Executed,
        double ExecutedRatio,
        string LagP50,
        string LagP99,
        double CpuCores,
        double RssMegabytes,
        double PeakRssMegabytes,
        string Notes);

    /// <summary>
    /// Waits out the window while reading the processes' summed resident memory every 5 s: one read at the end
    /// lands anywhere between two collections, so the figure is the median of the reads.
    /// </summary>
    private static async Task<double> WindowRssMedianAsync(int window, params int[] pids)
    {
        var samples = new List<double>();
        long end = TimeProvider.System.GetTimestamp() + (window * TimeProvider.System.TimestampFrequency);
        while (true)
        {
            long left = end - TimeProvider.System.GetTimestamp();
            if (left <= 0)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Min(5.0, left / (double)TimeProvider.System.TimestampFrequency)), TimeProvider.System);
            samples.Add(pids.Sum(pid => ProcessStats.Memory(pid).Rss));
        }

        return Statistics.Median(samples);
    }

    /// <summary>Target <paramref name="i"/>'s URL: the farm's addresses in turn.</summary>
    private static string TargetUrl(int farmPort, int addresses, int i) => $"http://127.0.0.{1 + (i % addresses)}:{farmPort}/t/{i}";

    private static async Task<LoadResult> MeasureMonitorAsync(string dir, int farmPort, int targets, int interval, int window, bool keepAlive, int addresses)
    {
        int port = FreePort();
        var config = new StringBuilder();
        config.Append(CultureInfo.InvariantCulture, $"server:\n  listen: 127.0.0.1:{port}\ndefaults: {{ interval: {interval}s, timeout: 5s }}\nchecks:\n");
        for (int i = 0; i < targets; i++)
        {
            config.Append(CultureInfo.InvariantCulture, $"  - {{ name: t{i}, http: {{ url: \"{TargetUrl(farmPort, addresses, i)}\"{(keepAlive ? ", keepalive: true" : string.Empty)} }} }}\n");
        }

        string configPath = Path.Combine(dir, "monitor.yaml");
        await File.WriteAllTextAsync(configPath, config.ToString());
        string monitorDll = Path.Combine(AppContext.BaseDirectory, "monitor.dll");
        var monitor = Start("dotnet", [monitorDll, "run", "--config", configPath], dir);
        var metricsUri = new Uri($"http://127.0.0.1:{port}/metrics");
        await WaitOkAsync(new Uri($"http://127.0.0.1:{port}/readyz"), "monitor");

        // Warm-up: one full interval so every check has run and the JIT has settled.
        await Task.Delay(TimeSpan.FromSeconds(interval + 5), TimeProvider.System);
        var before = await MonitorSnapshotAsync(metricsUri, monitor.Id, farmPort);
        double rss = await WindowRssMedianAsync(window, monitor.Id);
        var after = await MonitorSnapshotAsync(metricsUri, monitor.Id, farmPort);

        double elapsed = after.At - before.At;
        double planned = targets * elapsed / interval;
        double executed = after.Hits - before.Hits;
        var lag = after.LagBuckets.Select((b, i) => (b.Bound, Count: b.Count - before.LagBuckets[i].Count)).ToList();
        var memory = ProcessStats.Memory(monitor.Id);
        return new LoadResult(
            "monitor", targets, interval, Math.Round(elapsed, 1), Math.Round(planned), executed, Math.Round(executed / planned, 5),
            Quantile(lag, 0.5), Quantile(lag, 0.99),
            Math.Round((after.Cpu - before.Cpu) / elapsed, 3),
            Math.Round(rss / 1048576, 1), Math.Round(memory.Peak / 1048576, 1),
            $"runs {after.Runs - before.Runs}, failures {after.Failures - before.Failures}, skipped {after.Skipped - before.Skipped}");
    }

    private sealed record MonitorSnapshot(double At, double Hits, double Cpu, double Runs, double Failures, double Skipped, List<(double Bound, double Count)> LagBuckets);

    private static async Task<MonitorSnapshot> MonitorSnapshotAsync(Uri metrics, int pid, int farmPort)
    {
        double at = TimeProvider.System.GetTimestamp() / (double)TimeProvider.System.TimestampFrequency;
        double hits = await HitsAsync(farmPort);
        double cpu = ProcessStats.CpuSeconds(pid);
        string text = await Http.GetStringAsync(metrics);
        double runs = 0, failures = 0, skipped = 0;
        var lag = new List<(double, double)>();
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("monitor_check_runs_total{", StringComparison.Ordinal))
            {
                double v = Value(line);
                if (line.Contains("result=\"skipped\"", StringComparison.Ordinal))
                {
                    skipped += v;
                }
                else
                {
                    runs += v;
                    failures += line.Contains("result=\"failure\"", StringComparison.Ordinal) ? v : 0;
                }
            }
            else if (line.StartsWith("monitor_scheduler_lag_seconds_bucket{", StringComparison.Ordinal))
            {
                int le = line.IndexOf("le=\"", StringComparison.Ordinal) + 4;
                string bound = line[le..line.IndexOf('"', le)];
                lag.Add((bound == "+Inf" ? double.PositiveInfinity : double.Parse(bound, CultureInfo.InvariantCulture), Value(line)));
            }
        }

        return new MonitorSnapshot(at, hits, cpu, runs, failures, skipped, lag);
    }

    private static async Task<LoadResult> MeasureBlackboxAsync(string dir, int farmPort, int targets, int interval, int window, int addresses)
    {
        int bbPort = FreePort();
        int promPort = FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir, "blackbox.yml"), "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4\n");
        var prom = new StringBuilder();
        prom.Append(CultureInfo.InvariantCulture, $"global:\n  scrape_interval: {interval}s\n  scrape_timeout: 5s\nscrape_configs:\n  - job_name: blackbox\n    metrics_path: /probe\n    params: {{ module: [http_2xx] }}\n    static_configs:\n      - targets:\n");
        for (int i = 0; i < targets; i++)
        {
            prom.Append(CultureInfo.InvariantCulture, $"        - {TargetUrl(farmPort, addresses, i)}\n");
        }

        prom.Append(CultureInfo.InvariantCulture, $"    relabel_configs:\n      - {{ source_labels: [__address__], target_label: __param_target }}\n      - {{ source_labels: [__param_target], target_label: instance }}\n      - {{ target_label: __address__, replacement: \"127.0.0.1:{bbPort}\" }}\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "prometheus.yml"), prom.ToString());

        var blackbox = Start("prometheus-blackbox-exporter", ["--config.file=" + Path.Combine(dir, "blackbox.yml"), $"--web.listen-address=127.0.0.1:{bbPort}", "--log.level=warn"], dir);
        var prometheus = Start("prometheus", ["--config.file=" + Path.Combine(dir, "prometheus.yml"), "--storage.tsdb.path=" + Path.Combine(dir, "data"), $"--web.listen-address=127.0.0.1:{promPort}", "--log.level=warn"], dir);
        var api = new Uri($"http://127.0.0.1:{promPort}");
        await WaitOkAsync(new Uri(api, "/-/ready"), "prometheus");
        await Task.Delay(TimeSpan.FromSeconds(interval + 5), TimeProvider.System);

        double t0 = TimeProvider.System.GetTimestamp() / (double)TimeProvider.System.TimestampFrequency;
        double hits0 = await HitsAsync(farmPort);
        double cpu0 = ProcessStats.CpuSeconds(blackbox.Id) + ProcessStats.CpuSeconds(prometheus.Id);
        double rss = await WindowRssMedianAsync(window, blackbox.Id, prometheus.Id);
        double t1 = TimeProvider.System.GetTimestamp() / (double)TimeProvider.System.TimestampFrequency;
        double hits1 = await HitsAsync(farmPort);
        double cpu1 = ProcessStats.CpuSeconds(blackbox.Id) + ProcessStats.CpuSeconds(prometheus.Id);
        double elapsed = t1 - t0;

        string w = $"{window}s";
        double scrapes = await ScalarAsync(api, $"sum(count_over_time(up{{job=\"blackbox\"}}[{w}]))");
        double scrapesUp = await ScalarAsync(api, $"sum(sum_over_time(up{{job=\"blackbox\"}}[{w}]))");
        double probesOk = await ScalarAsync(api, $"sum(sum_over_time(probe_success{{job=\"blackbox\"}}[{w}]))");
        // Prometheus' own summary of the actual time between two scrapes of a target (it does not scrape itself here).
        string self = await Http.GetStringAsync(new Uri(api, "/metrics"));
        double IntervalQuantile(string q) => self.Split('\n')
            .Where(l => l.StartsWith($"prometheus_target_interval_length_seconds{{interval=\"{interval}s\",quantile=\"{q}\"}}", StringComparison.Ordinal))
            .Select(Value).DefaultIfEmpty(double.NaN).Max();
        double p50 = IntervalQuantile("0.5");
        double p99 = IntervalQuantile("0.99");
        var bbMemory = ProcessStats.Memory(blackbox.Id);
        var promMemory = ProcessStats.Memory(prometheus.Id);
        double planned = targets * elapsed / interval;
        double executed = hits1 - hits0;
        return new LoadResult(
            "blackbox_exporter+prometheus", targets, interval, Math.Round(elapsed, 1), Math.Round(planned), executed, Math.Round(executed / planned, 5),
            $"interval p50 {p50:0.000}s (lag ~{(p50 - interval) * 1000:0.#} ms)", $"interval p99 {p99:0.000}s (lag ~{(p99 - interval) * 1000:0.#} ms)",
            Math.Round((cpu1 - cpu0) / elapsed, 3),
            Math.Round(rss / 1048576, 1), Math.Round((bbMemory.Peak + promMemory.Peak) / 1048576, 1),
            $"in the window: scrapes recorded {scrapes}, up {scrapesUp}, probe_success {probesOk}; at the end blackbox RSS {bbMemory.Rss / 1048576:0} MB, prometheus RSS {promMemory.Rss / 1048576:0} MB");
    }

    private static async Task<double> ScalarAsync(Uri api, string promql)
    {
        string json = await Http.GetStringAsync(new Uri(api, "/api/v1/query?query=" + Uri.EscapeDataString(promql)));
        using var doc = JsonDocument.Parse(json);
        var result = doc.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? double.NaN : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    internal static async Task<double> HitsAsync(int farmPort) =>
        double.Parse(await Http.GetStringAsync(new Uri($"http://127.0.0.1:{farmPort}/hits")), CultureInfo.InvariantCulture);

    /// <summary>The quantile from histogram bucket deltas, interpolated as histogram_quantile does, with the bucket it falls in.</summary>
    internal static string Quantile(List<(double Bound, double Count)> cumulative, double q)
    {
        double total = cumulative.Count == 0 ? 0 : cumulative[^1].Count;
        if (total == 0)
        {
            return "n/a";
        }

        double rank = q * total;
        double previousBound = 0, previousCount = 0;
        foreach (var (bound, count) in cumulative)
        {
            if (count >= rank)
            {
                if (double.IsPositiveInfinity(bound))
                {
                    return $"> {previousBound * 1000:0.#} ms";
                }

                double value = previousBound + ((bound - previousBound) * (rank - previousCount) / Math.Max(1, count - previousCount));
                return $"{value * 1000:0.##} ms (bucket ≤ {bound * 1000:0.#} ms)";
            }

            (previousBound, previousCount) = (bound, count);
        }

        return "n/a";
    }

    private static double Value(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitOkAsync(Uri uri, string what)
    {
        for (int i = 0; i < 240; i++)
        {
            try
            {
                using var response = await Http.GetAsync(uri);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System);
        }

        throw new InvalidOperationException($"{what} did not start");
    }

    private static Process StartSelf(string[] args)
    {
        string self = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? Start(self, [typeof(LoadHarness).Assembly.Location, .. args], Environment.CurrentDirectory)
            : Start(self, args, Environment.CurrentDirectory);
    }

    private static Process Start(string file, string[] args, string workingDirectory)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line && (line.Contains("fail", StringComparison.OrdinalIgnoreCase) || line.Contains("error", StringComparison.OrdinalIgnoreCase)))
            {
                Console.Error.WriteLine($"[{Path.GetFileName(file)}] {line}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Children.Add(process);
        return process;
    }
}
