using System.Globalization;
using Monitor.Checks;
using Monitor.Checks.Logs;
using Monitor.Configuration;
using Monitor.GoCompat;
using Monitor.IntegrationTests.Hosting;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;
using Xunit.Abstractions;

namespace Monitor.IntegrationTests.Checks;

/// <summary>
/// The logs check on a container's logs through a real Docker-compatible Engine API: podman's service on a
/// socket of its own (<see cref="DockerEngineFixture"/>, the docker check's), and a container of the fixture's
/// compose project that prints numbered ERROR lines on stdout (and ok lines on stderr) five times a second. The
/// numbers show what was counted: a restarted check (a new one on the same state file) must go on with the
/// next number, neither counting one twice nor skipping one.
/// </summary>
public sealed class LogsCheckDockerTests(DockerEngineFixture engine, ITestOutputHelper output) : IClassFixture<DockerEngineFixture>, IAsyncLifetime
{
    private readonly string _dir = Tools.TempDirectory();

    private string Name => engine.NameOf("logger");

    public async Task InitializeAsync()
    {
        var (code, text) = await Podman.RunAsync(["run", "-d", "--name", Name, "--label", "com.docker.compose.project=" + engine.Project, "--label", "com.docker.compose.service=logger", engine.Image,
            "sh", "-c", "i=0; while true; do i=$((i+1)); echo \"ERROR line $i\"; echo \"ok $i\" >&2; sleep 0.2; done"]);
        Assert.True(code == 0, $"podman run logger failed: {text}");
    }

    public async Task DisposeAsync()
    {
        await Podman.RunAsync(["rm", "-f", "--time", "0", Name]);
        Directory.Delete(_dir, recursive: true);
    }

    private (LogsCheck Check, SeriesStore Store) Check()
    {
        var store = new SeriesStore();
        var logs = new LogsCheckOptions
        {
            Docker = new DockerLogsSource(engine.Socket, Name),
            Patterns = [new LogPattern("error", "ERROR", GoRegex.Compile("ERROR", out _)!.Regex)],
            LastLines = 1000,
            StateFile = Path.Combine(_dir, "logger.offsets"),
        };
        var options = new CheckOptions { Name = "logger-errors", Kind = LogsCheck.Kind, Settings = logs, Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(20) };
        return (new LogsCheck(options, new SeriesScope(store, "logger-errors", new Dictionary<string, string>())), store);
    }

    private double Value(SeriesStore store, string family, string extra = "")
    {
        string key = $"{family}{{check=\"logger-errors\",container=\"{Name}\"{extra}}}";
        return Exposition.Samples(store).TryGetValue(key, out string? v) ? double.Parse(v, CultureInfo.InvariantCulture) : 0;
    }

    private static async Task RunOk(LogsCheck check)
    {
        using var cts = new CancellationTokenSource(check.Options.Timeout);
        var result = await check.RunAsync(cts.Token);
        Assert.True(result.Success, $"{result.Reason}: {result.Error}");
    }

    /// <summary>The numbers of the ERROR lines a check kept, in order.</summary>
    private static List<int> Numbers(LogsCheck check) =>
        [.. check.LastLines.Select(l => int.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture))];

    [Fact]
    public async Task Counts_StartAtNow_ARestartedCheckNeitherRecountsNorSkips_AndARestartedContainerIsFollowed()
    {
        // History first: the check starts at now, so these lines are not counted.
        await Eventually.HoldsAsync(async () => (await Podman.RunAsync(["logs", Name])).Output.Contains("ERROR line 3\n", StringComparison.Ordinal), TimeSpan.FromSeconds(30), () => "the logger printed nothing");
        var (first, store) = Check();
        await RunOk(first);
        await Eventually.HoldsAsync(async () => { await RunOk(first); return Value(store, "monitor_log_lines_total", ",pattern=\"error\"") >= 10; }, TimeSpan.FromSeconds(60), () => string.Join('\n', Exposition.Samples(store)));

        var counted = Numbers(first);
        double errors = Value(store, "monitor_log_lines_total", ",pattern=\"error\"");
        double lines = Value(store, "monitor_log_read_lines_total");
        Assert.Equal(counted.Count, errors);
        Assert.True(counted[0] > 3, $"history counted: the first counted line is {counted[0]}");
        Assert.Equal(Enumerable.Range(counted[0], counted.Count), counted);
        // stdout's ERROR lines and stderr's ok lines, one of each per number (a pair may be split by a run).
        Assert.InRange(lines, (2 * errors) - 2, (2 * errors) + 2);
        first.Dispose();

        // The container goes on printing while no check runs (five lines, seen by podman); then a new check on
        // the same state file takes over.
        await Eventually.HoldsAsync(async () => (await Podman.RunAsync(["logs", Name])).Output.Contains($"ERROR line {counted[^1] + 5}\n", StringComparison.Ordinal), TimeSpan.FromSeconds(30), () => "the logger stopped");
        var (second, store2) = Check();
        await Eventually.HoldsAsync(async () => { await RunOk(second); return Value(store2, "monitor_log_lines_total", ",pattern=\"error\"") >= 10; }, TimeSpan.FromSeconds(60), () => string.Join('\n', Exposition.Samples(store2)));
        var after = Numbers(second);
        output.WriteLine($"first check: ERROR lines {counted[0]}..{counted[^1]} ({errors}, {lines} lines in all); restarted check: {after[0]}..{after[^1]}");
        Assert.Equal(counted[^1] + 1, after[0]);
        Assert.True(after.Count >= 5, "the lines printed while no check ran are counted");
        Assert.Equal(Enumerable.Range(after[0], after.Count), after);

        // The container restarted (same id, its log kept): its numbering starts again at 1, and it is followed.
        var (restarted, restartOutput) = await Podman.RunAsync(["restart", "--time", "0", Name]);
        Assert.True(restarted == 0, restartOutput);
        // At least five lines of the new run counted (a busy machine may count them all in one run, so the wait is
        // for "five or more since the last 1", not for the list to end at a given number).
        await Eventually.HoldsAsync(async () => { await RunOk(second); var n = Numbers(second); int r = n.LastIndexOf(1); return r >= 2 && n.Count - r >= 5; }, TimeSpan.FromSeconds(60), () => string.Join(',', Numbers(second)));
        var all = Numbers(second);
        int reset = all.LastIndexOf(1);
        output.WriteLine($"after podman restart: {string.Join(',', all[(reset - 2)..])}");
        Assert.Equal(Enumerable.Range(1, all.Count - reset), all[reset..]);

        // Against podman's own log of the container, across both restarts: every line from the first counted
        // on, once each, in order.
        var logged = (await Podman.RunAsync(["logs", Name])).Output.Split('\n').Where(l => l.StartsWith("ERROR line ", StringComparison.Ordinal))
            .Select(l => int.Parse(l["ERROR line ".Length..].Trim(), CultureInfo.InvariantCulture)).ToList();
        int from = logged.IndexOf(counted[0]);
        List<int> seen = [.. counted, .. all];
        Assert.Equal(logged.Skip(from).Take(seen.Count), seen);
        second.Dispose();
    }

    [Fact]
    public async Task MissingContainer_FailsWithNoMatch()
    {
        var store = new SeriesStore();
        var logs = new LogsCheckOptions { Docker = new DockerLogsSource(engine.Socket, Name + "-absent"), Patterns = [new LogPattern("error", "ERROR", GoRegex.Compile("ERROR", out _)!.Regex)], StateFile = Path.Combine(_dir, "absent.offsets") };
        using var check = new LogsCheck(new CheckOptions { Name = "absent", Kind = LogsCheck.Kind, Settings = logs, Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(20) }, new SeriesScope(store, "absent", new Dictionary<string, string>()));
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.NoMatch, result.Reason);
    }
}
