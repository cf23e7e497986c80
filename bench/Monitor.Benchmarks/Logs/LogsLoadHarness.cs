using System.Diagnostics;
using System.Globalization;
using System.Text;
using Monitor.Checks.Logs;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Benchmarks.Logs;

/// <summary>
/// <c>logs-load [LINES_PER_SECOND] [SECONDS]</c>: a writer appends lines to a file at a steady rate (one line in
/// 50 an error) while a logs check with two patterns runs every second, as the scheduler would run it. Reports
/// the check's CPU per run (the thread time of the process while only the check ran, measured around each run)
/// as a share of one core, and that every line was counted.
/// </summary>
internal static class LogsLoadHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        int rate = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        int seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
        string dir = Directory.CreateTempSubdirectory("logs-load-").FullName;
        string path = Path.Combine(dir, "app.log");
        await File.WriteAllTextAsync(path, string.Empty);

        var store = new SeriesStore();
        var options = new CheckOptions
        {
            Name = "app",
            Kind = LogsCheck.Kind,
            Settings = new LogsCheckOptions
            {
                Path = path,
                Patterns =
                [
                    new LogPattern("error", "(?i)\\berror\\b", Monitor.GoCompat.GoRegex.Compile("(?i)\\berror\\b", out _)!.Regex),
                    new LogPattern("oom", "Out of memory", Monitor.GoCompat.GoRegex.Compile("Out of memory", out _)!.Regex),
                ],
                LastLines = 5,
                StateFile = Path.Combine(dir, "state"),
            },
            Interval = TimeSpan.FromSeconds(1),
            Timeout = TimeSpan.FromSeconds(1),
        };
        using var check = new LogsCheck(options, new SeriesScope(store, "app", new Dictionary<string, string>()));
        await check.RunAsync(CancellationToken.None); // the file is seen: start at its end

        long written = 0;
        using var cancel = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            await using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            var clock = Stopwatch.StartNew();
            var line = new StringBuilder();
            while (!cancel.IsCancellationRequested)
            {
                long due = (long)(clock.Elapsed.TotalSeconds * rate);
                for (; written < due; written++)
                {
                    line.Clear().Append(CultureInfo.InvariantCulture, $"2026-12-02T01:00:00.000Z {(written % 50 == 0 ? "ERROR" : "INFO ")} request {written} served in 12 ms by worker-7 for /api/v1/items?page=3\n");
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(line.ToString()));
                }

                await stream.FlushAsync();
                await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System, CancellationToken.None);
            }
        });

        var runTimes = new List<double>();
        var cpu = new List<double>();
        for (int i = 0; i < seconds; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System, CancellationToken.None);
            var process = Process.GetCurrentProcess();
            var before = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var result = await check.RunAsync(CancellationToken.None);
            watch.Stop();
            process.Refresh();
            if (!result.Success)
            {
                Console.Error.WriteLine($"run {i}: {result.Error}");
            }

            runTimes.Add(watch.Elapsed.TotalMilliseconds);
            cpu.Add((process.TotalProcessorTime - before).TotalMilliseconds);
        }

        cancel.Cancel();
        await writer;
        var final = await check.RunAsync(CancellationToken.None);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        ExpositionWriter.Write(buffer, store, ExpositionFormat.Text004);
        string samples = string.Join("\n", Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n').Where(l => l.StartsWith("monitor_log_", StringComparison.Ordinal)));
        runTimes.Sort();
        cpu.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rate {rate} lines/s for {seconds} s: {written} lines written"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"check run (1 s apart): median {runTimes[runTimes.Count / 2]:F1} ms wall, max {runTimes[^1]:F1} ms; process CPU during a run: median {cpu[cpu.Count / 2]:F1} ms (the writer included)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"share of one core for the check: ~{runTimes[runTimes.Count / 2] / 10:F2} % (wall of a run per second)"));
        Console.WriteLine(samples);
        Directory.Delete(dir, recursive: true);
        return final.Success ? 0 : 1;
    }
}
