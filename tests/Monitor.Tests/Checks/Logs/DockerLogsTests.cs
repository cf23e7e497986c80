using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Monitor.Checks;
using Monitor.Checks.Logs;
using Monitor.Configuration;
using Monitor.GoCompat;
using Monitor.Hosting;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Logs;

/// <summary>
/// The container half of the logs check: the Engine API's multiplexed and raw (TTY) log bodies, decoded from
/// pieces of any size, and the check against a fake Engine API on a unix socket that serves log lines by their
/// timestamps as <c>since</c> (second resolution) asks, so the lines of the last second come again.
/// </summary>
public sealed class DockerLogsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("monitor-dlogs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Frame(int stream, string payload)
    {
        byte[] body = Encoding.UTF8.GetBytes(payload);
        var frame = new byte[8 + body.Length];
        frame[0] = (byte)stream;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)body.Length);
        body.CopyTo(frame, 8);
        return frame;
    }

    private static List<(int Stream, string Line)> Decode(bool tty, byte[] body, int pieceSize, int maxLine = 1024)
    {
        var lines = new List<(int, string)>();
        var decoder = new DockerLogDecoder(tty, maxLine);
        void Handler(int stream, ReadOnlySpan<byte> line) => lines.Add((stream, Encoding.UTF8.GetString(line)));
        for (int at = 0; at < body.Length; at += pieceSize)
        {
            decoder.Feed(body.AsSpan(at, Math.Min(pieceSize, body.Length - at)), Handler);
        }

        decoder.Finish(Handler);
        return lines;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Multiplexed_FramesSplitAcrossReads_StdoutAndStderrInterleaved(int pieceSize)
    {
        // stdout's second line spans two frames with a stderr frame between them.
        byte[] body = [.. Frame(1, "out one\nout tw"), .. Frame(2, "err one\n"), .. Frame(1, "o\r\n"), .. Frame(2, "err two\nerr three"), .. Frame(1, "")];
        Assert.Equal(
            [(1, "out one"), (2, "err one"), (1, "out two"), (2, "err two"), (2, "err three")],
            Decode(tty: false, body, pieceSize));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(4096)]
    public void Tty_IsRaw_OneStream(int pieceSize)
    {
        byte[] body = Encoding.UTF8.GetBytes("first\r\nsecond\nthird");
        Assert.Equal([(0, "first"), (0, "second"), (0, "third")], Decode(tty: true, body, pieceSize));
    }

    [Fact]
    public void LongLine_IsCut_TheRestDropped()
    {
        byte[] body = [.. Frame(1, new string('x', 30) + "\nshort\n")];
        Assert.Equal([(1, new string('x', 10)), (1, "short")], Decode(tty: false, body, 4, maxLine: 10));
    }

    [Fact]
    public void NotMultiplexed_IsAParseError()
    {
        var decoder = new DockerLogDecoder(tty: false, 100);
        Assert.Throws<InvalidDataException>(() => decoder.Feed("2026-12-02T00:00:00Z hello\n"u8, (_, _) => { }));
    }

    [Theory]
    [InlineData("2026-12-02T02:18:56.123456789Z x", 1796177936L, 123456789L, 31)]
    [InlineData("2026-12-02T02:18:56Z x", 1796177936L, 0L, 21)]
    [InlineData("2026-12-02T02:18:56.5Z", 1796177936L, 500000000L, 22)]
    [InlineData("2026-12-02T03:18:56.000000001+01:00 x", 1796177936L, 1L, 36)]
    public void Timestamp_Rfc3339Nano(string line, long seconds, long nanos, int start)
    {
        Assert.True(DockerLogDecoder.TryParseTimestamp(Encoding.ASCII.GetBytes(line), out long parsed, out int at));
        Assert.Equal((seconds * 1_000_000_000) + nanos, parsed);
        Assert.Equal(start, at);
        Assert.False(DockerLogDecoder.TryParseTimestamp("no timestamp here"u8, out _, out _));
    }

    private sealed record Entry(long Nanos, int Stream, string Text);

    private static string Rfc3339(long nanos) =>
        DateTime.UnixEpoch.AddSeconds(nanos / 1_000_000_000).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + (nanos % 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture) + "Z";

    private (LogsCheck Check, SeriesStore Store) Check(string socket)
    {
        var store = new SeriesStore();
        var logs = new LogsCheckOptions
        {
            Docker = new DockerLogsSource(socket, "web"),
            Patterns = [new LogPattern("error", "ERROR", GoRegex.Compile("ERROR", out _)!.Regex)],
            LastLines = 3,
            StateFile = Path.Combine(_dir, "state", "web.offsets"),
        };
        var options = new CheckOptions { Name = "web-errors", Kind = LogsCheck.Kind, Settings = logs, Interval = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(5) };
        return (new LogsCheck(options, new SeriesScope(store, "web-errors", new Dictionary<string, string>())), store);
    }

    private static double Value(SeriesStore store, string key) =>
        Exposition.Samples(store).TryGetValue(key, out string? v) ? double.Parse(v, CultureInfo.InvariantCulture) : double.NaN;

    private static double Lines(SeriesStore store) => Value(store, "monitor_log_read_lines_total{check=\"web-errors\",container=\"web\"}");

    private static double Errors(SeriesStore store) => Value(store, "monitor_log_lines_total{check=\"web-errors\",container=\"web\",pattern=\"error\"}");

    private static async Task RunOk(LogsCheck check)
    {
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, $"{result.Reason}: {result.Error}");
    }

    [Fact]
    public async Task Container_StartsAtNow_DedupesTheRepeatedSecond_SurvivesARestart_AndFollowsARecreation()
    {
        var entries = new List<(string Id, Entry Entry)>();
        string id = "aaa111";
        bool tty = false;
        long now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() * 1_000_000_000;
        long t = now + (5 * 1_000_000_000L) + 250_000_000; // a second after the first run, by its timestamps

        await using var engine = FakeDockerEngine.StartRaw(Path.Combine(_dir, "docker.sock"), path =>
        {
            if (path == "/containers/web/json")
            {
                return (200, Encoding.UTF8.GetBytes($"{{\"Id\":\"{id}\",\"Config\":{{\"Tty\":{(tty ? "true" : "false")}}}}}"));
            }

            var query = path.Split('?');
            if (query[0] == $"/containers/{id}/logs")
            {
                long since = long.Parse(query[1].Split('&').Single(p => p.StartsWith("since=", StringComparison.Ordinal))[6..], CultureInfo.InvariantCulture);
                var lines = entries.Where(e => e.Id == id && e.Entry.Nanos / 1_000_000_000 >= since).Select(e => (e.Entry.Stream, $"{Rfc3339(e.Entry.Nanos)} {e.Entry.Text}\n"));
                return (200, tty ? Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l.Item2))) : [.. lines.SelectMany(l => Frame(l.Stream, l.Item2))]);
            }

            return (404, "{\"message\":\"no such container\"}"u8.ToArray());
        });

        var (check, store) = Check(engine.Path);
        entries.Add((id, new Entry(now - (100 * 1_000_000_000L), 1, "ERROR history")));
        await RunOk(check);
        Assert.Equal(0, Lines(store));

        // Three lines in one nanosecond, then one later in the same second, on both streams.
        entries.Add((id, new Entry(t, 1, "ERROR a")));
        entries.Add((id, new Entry(t, 2, "fine")));
        entries.Add((id, new Entry(t, 2, "ERROR b")));
        await RunOk(check);
        Assert.Equal((3, 2), (Lines(store), Errors(store)));

        // Same second again (since has second resolution): the three are skipped, the two new ones counted.
        entries.Add((id, new Entry(t, 1, "ERROR c")));
        entries.Add((id, new Entry(t + 500_000_000, 1, "ok")));
        await RunOk(check);
        Assert.Equal((5, 3), (Lines(store), Errors(store)));
        Assert.Equal(["web: ERROR a", "web: ERROR b", "web: ERROR c"], check.LastLines);
        Assert.Equal(new LogCursor("web", id, t + 500_000_000, 1), check.Cursor);
        check.Dispose();

        // A restarted Monitor (a new check on the same state file): nothing again, then only what is new.
        var (again, store2) = Check(engine.Path);
        await RunOk(again);
        Assert.True(Lines(store2) is 0 or double.NaN);
        entries.Add((id, new Entry(t + 1_000_000_000, 2, "ERROR d")));
        await RunOk(again);
        Assert.Equal((1, 1), (Lines(store2), Errors(store2)));

        // Recreated under the same name (a new id, with a TTY now): its lines after the cursor count.
        id = "bbb222";
        tty = true;
        entries.Add((id, new Entry(t + 1_000_000_000, 0, "before the cursor, same nanosecond as d's")));
        entries.Add((id, new Entry(t + 2_000_000_000, 0, "ERROR e")));
        await RunOk(again);
        Assert.Equal((2, 2), (Lines(store2), Errors(store2)));
        Assert.Equal("bbb222", again.Cursor.Id);
        Assert.All(engine.Requests.Where(r => r.Contains("/logs", StringComparison.Ordinal)), r => Assert.Contains("stdout=1&stderr=1&timestamps=1&since=", r, StringComparison.Ordinal));
        again.Dispose();
    }

    [Fact]
    public async Task Container_Missing_FailsWithNoMatch_AndMissingSocketWithNoSocket()
    {
        await using var engine = FakeDockerEngine.StartRaw(Path.Combine(_dir, "docker.sock"), _ => (404, "{\"message\":\"no such container\"}"u8.ToArray()));
        var (check, _) = Check(engine.Path);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.NoMatch, result.Reason);
        check.Dispose();

        var (missing, _) = Check(Path.Combine(_dir, "none.sock"));
        result = await missing.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.NoSocket, result.Reason);
        missing.Dispose();
    }

    private static ConfigLoadResult Parse(string logs) =>
        MonitorConfig.Parse($"checks:\n  - name: web-errors\n    logs: {logs}\n", "monitor.yaml", _ => null, p => throw new FileNotFoundException(p));

    [Fact]
    public void Config_Docker_DefaultSocket_AndContainer()
    {
        var result = Parse("{ docker: { container: /maxops-gitea-1 }, patterns: { error: ERROR } }");
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var logs = result.Options!.Checks[0].SettingsOf<LogsCheckOptions>();
        Assert.Equal(new DockerLogsSource("/var/run/docker.sock", "maxops-gitea-1"), logs.Docker);
        Assert.Null(logs.Path);

        logs = Parse("{ docker: { socket: /run/podman/podman.sock, container: web }, patterns: { error: ERROR } }").Options!.Checks[0].SettingsOf<LogsCheckOptions>();
        Assert.Equal("/run/podman/podman.sock", logs.Docker!.Socket);
    }

    [Theory]
    [InlineData("{ patterns: { error: ERROR } }", "checks[0].logs: one of path (files), docker (a container's logs) or kubernetes (pods' logs) is required")]
    [InlineData("{ path: /var/log/a.log, docker: { container: web }, patterns: { error: ERROR } }", "checks[0].logs: path, docker and kubernetes exclude each other")]
    [InlineData("{ docker: { socket: run/docker.sock, container: web }, patterns: { error: ERROR } }", "checks[0].logs.docker.socket: \"run/docker.sock\" must be an absolute path")]
    [InlineData("{ docker: { socket: /run/docker.sock }, patterns: { error: ERROR } }", "checks[0].logs.docker.container: required")]
    [InlineData("{ docker: { container: web, tail: 5 }, patterns: { error: ERROR } }", "checks[0].logs.docker: unknown key \"tail\"")]
    public void Config_Docker_Invalid_NamesTheField(string logs, string expected)
    {
        var errors = Parse(logs).Errors.Select(e => e.ToString()).ToList();
        Assert.True(errors.Any(e => e.Contains(expected, StringComparison.Ordinal)), string.Join("\n", errors));
    }
}
