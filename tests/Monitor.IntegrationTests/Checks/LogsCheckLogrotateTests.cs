using System.Globalization;
using Monitor.Checks.Logs;
using Monitor.Configuration;
using Monitor.GoCompat;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Checks;

/// <summary>
/// The logs check across rotations done by Debian's logrotate, forced (<c>-f</c>) so no clock is involved: with
/// <c>copytruncate</c> and with the default <c>create</c> (rename the file, create a new one). The writer keeps
/// an open descriptor across the rename, as a daemon does until it is told to reopen, so lines land in the
/// rotated file after the rename too. Every line written is counted exactly once.
/// </summary>
public sealed class LogsCheckLogrotateTests : IDisposable
{
    private readonly string _dir = Tools.TempDirectory();
    private readonly SeriesStore _store = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string LogPath => Path.Combine(_dir, "app.log");

    private LogsCheck Check()
    {
        var logs = new LogsCheckOptions
        {
            Path = Path.Combine(_dir, "*.log"),
            Patterns = [new LogPattern("error", @"(?i)\berror\b", GoRegex.Compile(@"(?i)\berror\b", out _)!.Regex)],
            StateFile = Path.Combine(_dir, "offsets"),
        };
        var options = new CheckOptions { Name = "app", Kind = LogsCheck.Kind, Settings = logs, Interval = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(5) };
        return new LogsCheck(options, new SeriesScope(_store, "app", new Dictionary<string, string>()));
    }

    private double Errors() =>
        double.Parse(Exposition.Samples(_store)[$"monitor_log_lines_total{{check=\"app\",path=\"{LogPath}\",pattern=\"error\"}}"], CultureInfo.InvariantCulture);

    private async Task LogrotateAsync(string directives)
    {
        string conf = Path.Combine(_dir, "logrotate.conf");
        File.WriteAllText(conf, $"{LogPath} {{\n  rotate 3\n  missingok\n{directives}\n}}\n");
        var (exit, output) = await ExternalProcess.RunAsync(Tools.Require("logrotate", "logrotate"), ["-f", "-s", Path.Combine(_dir, "logrotate.status"), conf]);
        Assert.True(exit == 0, output);
    }

    private static async Task RunOk(LogsCheck check)
    {
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
    }

    [Fact]
    public async Task CopyTruncate_CountsEveryLineOnce()
    {
        File.WriteAllText(LogPath, "error before monitor\n");
        using var check = Check();
        await RunOk(check);
        File.AppendAllText(LogPath, "error 1\nerror 2\n");
        await RunOk(check);
        File.AppendAllText(LogPath, "error 3\n");
        await LogrotateAsync("  copytruncate");
        Assert.Equal(0, new FileInfo(LogPath).Length);
        Assert.True(File.Exists(LogPath + ".1"));

        // error 3 was copied away before the check saw it: a copytruncate tailer loses it, as promtail does.
        File.AppendAllText(LogPath, "error 4\n");
        await RunOk(check);
        File.AppendAllText(LogPath, "error 5\n");
        await RunOk(check);
        Assert.Equal(4, Errors());
    }

    [Fact]
    public async Task CreateRename_ReadsTheRotatedFileToItsEnd_ThenTheNewOne()
    {
        var writer = new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
        try
        {
            writer.Write("error before monitor\n");
            using var check = Check();
            await RunOk(check);
            writer.Write("error 1\n");
            await RunOk(check);
            writer.Write("error 2\n");
            await LogrotateAsync("  create");
            Assert.True(File.Exists(LogPath + ".1"));

            // The daemon writes to its old descriptor (now app.log.1) until it reopens.
            writer.Write("error 3\n");
            await writer.DisposeAsync();
            writer = new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
            writer.Write("error 4\n");
            await RunOk(check);
            Assert.Equal(4, Errors());

            writer.Write("error 5\n");
            await LogrotateAsync("  create");
            await RunOk(check);
            Assert.Equal(5, Errors());
        }
        finally
        {
            await writer.DisposeAsync();
        }
    }
}
