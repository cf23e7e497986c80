using System.Globalization;
using Monitor.Checks.Logs;
using Monitor.Configuration;
using Monitor.GoCompat;
using Monitor.Hosting;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Logs;

public sealed class LogsCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("monitor-logs-").FullName;
    private readonly SeriesStore _store = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string LogPath => Path.Combine(_dir, "app.log");

    private LogsCheck Check(string? path = null, int lastLines = 0, int maxLineBytes = LogsCheckOptions.DefaultMaxLineBytes, long maxBytesPerRun = LogsCheckOptions.DefaultMaxBytesPerRun)
    {
        var logs = new LogsCheckOptions
        {
            Path = path ?? Path.Combine(_dir, "*.log"),
            Patterns =
            [
                new LogPattern("error", @"(?i)\berror\b", GoRegex.Compile(@"(?i)\berror\b", out _)!.Regex),
                new LogPattern("oom", "Out of memory", GoRegex.Compile("Out of memory", out _)!.Regex),
            ],
            LastLines = lastLines,
            StateFile = Path.Combine(_dir, "state", "offsets"),
            MaxLineBytes = maxLineBytes,
            MaxBytesPerRun = maxBytesPerRun,
        };
        var options = new CheckOptions { Name = "app-errors", Kind = LogsCheck.Kind, Settings = logs, Interval = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(5) };
        return new LogsCheck(options, new SeriesScope(_store, "app-errors", new Dictionary<string, string>()));
    }

    private double Value(string name, string path, string? pattern = null)
    {
        string key = pattern is null
            ? $"{name}{{check=\"app-errors\",path=\"{path}\"}}"
            : $"{name}{{check=\"app-errors\",path=\"{path}\",pattern=\"{pattern}\"}}";
        return Exposition.Samples(_store).TryGetValue(key, out string? v) ? double.Parse(v, CultureInfo.InvariantCulture) : double.NaN;
    }

    private double Lines(string? path = null) => Value("monitor_log_read_lines_total", path ?? LogPath);

    private double Errors(string? path = null) => Value("monitor_log_lines_total", path ?? LogPath, "error");

    private static async Task RunOk(LogsCheck check)
    {
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
    }

    [Fact]
    public async Task FirstSeen_StartsAtEnd_ThenCountsAppends()
    {
        File.WriteAllText(LogPath, "old error\nold line\n");
        using var check = Check();
        await RunOk(check);
        Assert.Equal(0, Lines());
        Assert.Equal(0, Errors());

        File.AppendAllText(LogPath, "an ERROR here\nfine\nOut of memory: killed\nno Errors (not a word)\n");
        await RunOk(check);
        Assert.Equal(4, Lines());
        Assert.Equal(1, Errors());
        Assert.Equal(1, Value("monitor_log_lines_total", LogPath, "oom"));
        Assert.Equal(new FileInfo(LogPath).Length - 19, Value("monitor_log_read_bytes_total", LogPath));
    }

    [Fact]
    public async Task UnfinishedLine_WaitsForItsNewline()
    {
        File.WriteAllText(LogPath, string.Empty);
        using var check = Check();
        await RunOk(check);
        File.AppendAllText(LogPath, "half an err");
        await RunOk(check);
        Assert.Equal(0, Lines());
        File.AppendAllText(LogPath, "or\r\n");
        await RunOk(check);
        Assert.Equal(1, Lines());
        Assert.Equal(1, Errors());
        Assert.Equal(new FileInfo(LogPath).Length, Value("monitor_log_read_bytes_total", LogPath));
    }

    [Fact]
    public async Task RenameRotation_ReadsOldFileToItsEnd_ThenNewFileFromStart()
    {
        File.WriteAllText(LogPath, string.Empty);
        using var check = Check();
        await RunOk(check);
        File.AppendAllText(LogPath, "error 1\n");
        await RunOk(check);

        // Written after the last run but before the rename: must still be counted.
        File.AppendAllText(LogPath, "error 2\n");
        File.Move(LogPath, LogPath + ".1");
        File.AppendAllText(LogPath + ".1", "error 3\n");
        File.WriteAllText(LogPath, "error 4\nfine\n");
        await RunOk(check);
        Assert.Equal(5, Lines());
        Assert.Equal(4, Errors());

        File.AppendAllText(LogPath, "error 5\n");
        await RunOk(check);
        Assert.Equal(5, Errors());
    }

    [Fact]
    public async Task RenameRotation_GlobMatchingRotatedNames_CountsEachLineOnce()
    {
        File.WriteAllText(LogPath, string.Empty);
        using var check = Check(path: LogPath + "*");
        await RunOk(check);
        File.AppendAllText(LogPath, "error 1\n");
        await RunOk(check);
        File.AppendAllText(LogPath, "error 2\n");
        File.Move(LogPath, LogPath + ".1");
        File.WriteAllText(LogPath, "error 3\n");
        await RunOk(check);
        await RunOk(check);
        File.AppendAllText(LogPath + ".1", "error 4\n");
        await RunOk(check);
        Assert.Equal(3, Errors());
        Assert.Equal(1, Errors(LogPath + ".1"));
    }

    [Fact]
    public async Task CopyTruncate_RestartsFromZero()
    {
        File.WriteAllText(LogPath, string.Empty);
        using var check = Check();
        await RunOk(check);
        File.AppendAllText(LogPath, "error 1\nerror 2\nerror 3\n");
        await RunOk(check);
        Assert.Equal(3, Errors());

        File.Copy(LogPath, LogPath + ".1");
        using (var f = new FileStream(LogPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            f.SetLength(0);
        }

        File.AppendAllText(LogPath, "error 4\n");
        await RunOk(check);
        Assert.Equal(4, Errors());
        Assert.Equal(4, Lines());
    }

    [Fact]
    public async Task Restart_WithStateFile_NeitherRecountsNorSkips()
    {
        File.WriteAllText(LogPath, "history error\n");
        using (var check = Check())
        {
            await RunOk(check);
            File.AppendAllText(LogPath, "error 1\n");
            await RunOk(check);
            Assert.Equal(1, Errors());
        }

        // Written while Monitor was down: counted once by the next process, history still not.
        File.AppendAllText(LogPath, "error 2\nerror 3\n");
        var store = new SeriesStore();
        var logs = Check().Options;
        using var restarted = new LogsCheck(logs, new SeriesScope(store, "app-errors", new Dictionary<string, string>()));
        var result = await restarted.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        Assert.Equal("2", Exposition.Samples(store)[$"monitor_log_lines_total{{check=\"app-errors\",path=\"{LogPath}\",pattern=\"error\"}}"]);
        Assert.Equal("2", Exposition.Samples(store)[$"monitor_log_read_lines_total{{check=\"app-errors\",path=\"{LogPath}\"}}"]);
    }

    [Fact]
    public async Task Restart_AfterRotationWhileDown_ReadsNewFileFromStart()
    {
        File.WriteAllText(LogPath, string.Empty);
        using (var check = Check())
        {
            await RunOk(check);
        }

        File.Move(LogPath, LogPath + ".1");
        File.WriteAllText(LogPath, "error after rotation\n");
        using var restarted = Check();
        await RunOk(restarted);
        Assert.Equal(1, Errors());
    }

    [Fact]
    public async Task FileCreatedAfterFirstRun_IsReadFromStart()
    {
        using var check = Check();
        var first = await check.RunAsync(CancellationToken.None);
        Assert.False(first.Success);
        Assert.Equal("unreadable", first.Reason);
        Assert.Contains("no file matches", first.Error, StringComparison.Ordinal);

        string other = Path.Combine(_dir, "worker.log");
        File.WriteAllText(other, "error\n");
        await RunOk(check);
        Assert.Equal(1, Errors(other));
    }

    [Fact]
    public async Task LongLine_IsCut_AndItsRestSkipped()
    {
        File.WriteAllText(LogPath, string.Empty);
        using var check = Check(lastLines: 2, maxLineBytes: 4096);
        await RunOk(check);
        File.AppendAllText(LogPath, "error " + new string('x', 10_000) + " error tail\nerror short\n");
        await RunOk(check);
        Assert.Equal(2, Lines());
        Assert.Equal(2, Errors());
        Assert.Equal(2, check.LastLines.Count);
        Assert.Equal(LogPath.Length + 2 + 4096, check.LastLines[0].Length);
        Assert.Equal($"{LogPath}: error short", check.LastLines[1]);
        Assert.Equal(new FileInfo(LogPath).Length, Value("monitor_log_read_bytes_total", LogPath));
    }

    [Fact]
    public async Task Burst_IsReadInBoundedChunks_OverSeveralRuns()
    {
        File.WriteAllText(LogPath, string.Empty);
        using var check = Check(maxLineBytes: 4096, maxBytesPerRun: 10_000);
        await RunOk(check);
        File.AppendAllText(LogPath, string.Concat(Enumerable.Range(0, 1000).Select(i => $"error {i:D4}\n")));

        // 11 bytes a line, 11,000 bytes: two runs, nothing lost or counted twice.
        await RunOk(check);
        Assert.InRange(Lines(), 800, 999);
        await RunOk(check);
        Assert.Equal(1000, Lines());
        Assert.Equal(1000, Errors());
    }

    [Fact]
    public async Task LastLines_KeepsTheLastMatchingLines()
    {
        File.WriteAllText(LogPath, string.Empty);
        using var check = Check(lastLines: 2);
        await RunOk(check);
        File.AppendAllText(LogPath, "error a\nfine\nerror b\nOut of memory c\nfine\n");
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        Assert.Equal([$"{LogPath}: error b", $"{LogPath}: Out of memory c"], check.LastLines);
        Assert.Equal(check.LastLines, result.Details);
    }

    [Fact]
    public void Config_ReadsTheSection()
    {
        var result = MonitorConfig.Parse(
            "checks:\n  - name: app-errors\n    logs:\n      path: /var/log/app/*.log\n      patterns:\n        error: '(?i)\\berror\\b'\n        oom: 'Out of memory'\n      last_lines: 5\n",
            "monitor.yaml",
            _ => null,
            p => throw new FileNotFoundException(p));
        Assert.Empty(result.Errors);
        var logs = result.Options!.Checks[0].SettingsOf<LogsCheckOptions>();
        Assert.Equal("/var/log/app/*.log", logs.Path);
        Assert.Equal(["error", "oom"], logs.Patterns.Select(p => p.Name));
        Assert.Matches(logs.Patterns[0].Regex, "an ERROR");
        Assert.Equal(5, logs.LastLines);
        Assert.Null(logs.StateFile);
    }

    [Fact]
    public void Config_BadRegex_IsReportedAtItsPosition()
    {
        var result = MonitorConfig.Parse(
            "checks:\n  - name: app-errors\n    logs:\n      path: relative/*.log\n      patterns:\n        error: 'a(?=b)'\n        ok: x\n",
            "monitor.yaml",
            _ => null,
            p => throw new FileNotFoundException(p));
        var errors = result.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("monitor.yaml:6:16: checks[0].logs.patterns.error: invalid regular expression \"a(?=b)\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("monitor.yaml:4:13: checks[0].logs.path: must be an absolute path", StringComparison.Ordinal));
    }
}
