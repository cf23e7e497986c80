using System.Globalization;
using System.Text.Json;
using Monitor.IntegrationTests.TestSupport;

namespace Monitor.IntegrationTests.Checks;

/// <summary>
/// The logs check in the real service: counts on /metrics, the last matching lines in /api/v1/checks, and a
/// killed and restarted service (same working directory, so the same default state file) that neither counts
/// again what it counted nor skips what was written while it was down.
/// </summary>
public sealed class LogsCheckServiceTests : IDisposable
{
    private readonly string _logs = Tools.TempDirectory();

    public void Dispose() => Directory.Delete(_logs, recursive: true);

    private string Config => $"checks:\n  - name: app-errors\n    interval: 1s\n    logs:\n      path: {_logs}/*.log\n      patterns:\n        error: '(?i)\\berror\\b'\n      last_lines: 2\n";

    private string LogPath => Path.Combine(_logs, "app.log");

    private async Task<double> ErrorsAsync(MonitorProcess monitor)
    {
        string key = $"monitor_log_lines_total{{check=\"app-errors\",path=\"{LogPath}\",pattern=\"error\"}} ";
        string? line = (await monitor.GetStringAsync("/metrics")).Split('\n').FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? -1 : double.Parse(line[key.Length..], CultureInfo.InvariantCulture);
    }

    private static async Task<string[]> DetailsAsync(MonitorProcess monitor)
    {
        using var doc = JsonDocument.Parse(await monitor.GetStringAsync("/api/v1/checks"));
        var lastRun = doc.RootElement.GetProperty("checks")[0].GetProperty("last_run");
        return lastRun.TryGetProperty("details", out var details) ? [.. details.EnumerateArray().Select(d => d.GetString()!)] : [];
    }

    [Fact]
    public async Task Service_CountsExposesLastLines_AndRestartsWhereItStopped()
    {
        File.WriteAllText(LogPath, "history error, not counted\n");
        string dir;
        await using (var first = await MonitorProcess.StartAsync(Config))
        {
            first.KeepDirectory = true;
            dir = first.Directory;
            await Eventually.HoldsAsync(async () => await ErrorsAsync(first) == 0, TimeSpan.FromSeconds(30), () => first.Output);
            File.AppendAllText(LogPath, "error 1\nfine\nerror 2\nerror 3\n");
            await Eventually.HoldsAsync(async () => await ErrorsAsync(first) == 3, TimeSpan.FromSeconds(30), () => first.Output);
            await Eventually.HoldsAsync(
                async () => (await DetailsAsync(first)).SequenceEqual([$"{LogPath}: error 2", $"{LogPath}: error 3"]),
                TimeSpan.FromSeconds(30),
                () => first.Output);

            // Killed, as in a crash: the offsets were saved by the last run.
            await first.KillAsync();
        }

        File.AppendAllText(LogPath, "error 4 while down\nerror 5 while down\n");
        await using var second = await MonitorProcess.StartAsync(Config, directory: dir);
        await Eventually.HoldsAsync(async () => await ErrorsAsync(second) == 2, TimeSpan.FromSeconds(30), () => second.Output);
        await Eventually.ProgressedAsync(2, TimeSpan.FromSeconds(30), second);
        Assert.Equal(2, await ErrorsAsync(second));
        Assert.True(File.Exists(Path.Combine(dir, "data", "logs", "app-errors.offsets")));
    }
}
