using System.Globalization;
using System.IO.Compression;
using System.Text;
using Monitor.Checks;
using Monitor.Checks.FileStat;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.FileStat;

public sealed class FileStatCheckTests : IDisposable
{
    private const string Trailer = "--\n-- PostgreSQL database dump complete\n--\n\n";
    private static readonly DateTime Day1 = new(2024, 5, 1, 2, 0, 0, DateTimeKind.Utc);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "monitor-filestat-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly SeriesStore _store = new();

    public FileStatCheckTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private FileStatCheck Check(string glob, FileExpectation expect = FileExpectation.None)
    {
        var settings = new FileStatCheckOptions { Path = FileGlob.Parse(glob, out _)!, Expect = expect };
        var options = new CheckOptions { Name = "backup", Kind = FileStatCheck.Kind, Settings = settings, Interval = TimeSpan.FromMinutes(1), Timeout = TimeSpan.FromSeconds(30), Labels = new Dictionary<string, string> { ["team"] = "db" } };
        return new FileStatCheck(options, new SeriesScope(_store, "backup", options.Labels));
    }

    private string Write(string name, byte[] content, DateTime modified)
    {
        string path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        File.SetLastWriteTimeUtc(path, modified);
        return path;
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return ms.ToArray();
    }

    private static byte[] Dump(int rows, bool complete)
    {
        var sb = new StringBuilder("--\n-- PostgreSQL database dump\n--\n\nCOPY public.t (id, v) FROM stdin;\n");
        for (int i = 0; i < rows; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{i}\tvalue number {i * 7919 % 10007}\n");
        }

        sb.Append("\\.\n\n");
        if (complete)
        {
            sb.Append(Trailer);
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private Dictionary<string, string> Samples() => Exposition.Samples(_store);

    private const string B = "check=\"backup\",team=\"db\"";

    [Fact]
    public async Task Run_ThreeBackups_NewestAgeSizeCountAndPreviousSize()
    {
        Write("pg/app-2024-05-01.sql.gz", new byte[300], Day1);
        string second = Write("pg/app-2024-05-02.sql.gz", new byte[500], Day1.AddDays(1));
        string newest = Write("pg/app-2024-05-03.sql.gz", new byte[400], Day1.AddDays(2).AddMilliseconds(250));
        Write("pg/notes.txt", new byte[10], Day1.AddDays(3)); // does not match the glob

        using var check = Check($"{_dir}/pg/*.sql.gz");
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        var s = Samples();
        double expectedTime = (Day1.AddDays(2).AddMilliseconds(250) - DateTime.UnixEpoch).TotalSeconds;
        Assert.Equal(expectedTime, double.Parse(s[$"file_stat_modif_time_seconds{{{B},path=\"{newest}\"}}"], CultureInfo.InvariantCulture), 3);
        Assert.Equal("400", s[$"file_stat_size_bytes{{{B},path=\"{newest}\"}}"]);
        Assert.Equal("3", s[$"monitor_file_count{{{B}}}"]);
        Assert.Equal("500", s[$"monitor_file_previous_size_bytes{{{B}}}"]);
        Assert.Single(s.Keys, k => k.StartsWith("file_stat_size_bytes{", StringComparison.Ordinal));

        // The next night's backup replaces the newest; the one before is now the previous.
        string fourth = Write("pg/app-2024-05-04.sql.gz", new byte[100], Day1.AddDays(3));
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        s = Samples();
        Assert.Equal("100", s[$"file_stat_size_bytes{{{B},path=\"{fourth}\"}}"]);
        Assert.DoesNotContain($"file_stat_size_bytes{{{B},path=\"{newest}\"}}", s.Keys);
        Assert.Equal("400", s[$"monitor_file_previous_size_bytes{{{B}}}"]);
        Assert.Equal("4", s[$"monitor_file_count{{{B}}}"]);
        _ = second;
    }

    [Fact]
    public async Task Run_NothingMatches_FailsNoMatch_AndDropsTheFileSeries()
    {
        string only = Write("a.dump", new byte[5], Day1);
        using var check = Check($"{_dir}/*.dump");
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Assert.DoesNotContain(Samples().Keys, k => k.StartsWith("monitor_file_previous_size_bytes", StringComparison.Ordinal));
        File.Delete(only);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.NoMatch, result.Reason);
        Assert.Contains("no file matches", result.Error);
        var s = Samples();
        Assert.Equal("0", s[$"monitor_file_count{{{B}}}"]);
        Assert.DoesNotContain(s.Keys, k => k.StartsWith("file_stat_", StringComparison.Ordinal));

        using var missingDir = Check($"{_dir}/nowhere/*.dump");
        Assert.Equal(FailureReasons.NoMatch, (await missingDir.RunAsync(CancellationToken.None)).Reason);
    }

    [Fact]
    public async Task Run_WildcardDirectories_AndLinks_UseTheTargetsTimeAndSize()
    {
        Write("host1/db.sql", new byte[10], Day1);
        string target = Write("store/real.sql", new byte[77], Day1.AddHours(5));
        string link = Path.Combine(_dir, "host2", "db.sql");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, target);
        using var check = Check($"{_dir}/host[0-9]/db.sql");
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        var s = Samples();
        Assert.Equal("77", s[$"file_stat_size_bytes{{{B},path=\"{link}\"}}"]);
        Assert.Equal("2", s[$"monitor_file_count{{{B}}}"]);
    }

    [Fact]
    public async Task Run_PgDumpComplete_PlainAndGzip()
    {
        string plain = Write("ok.sql", Dump(2000, complete: true), Day1);
        using (var check = Check(plain, FileExpectation.PgDumpComplete))
        {
            var result = await check.RunAsync(CancellationToken.None);
            Assert.True(result.Success, result.Error);
        }

        string cut = Write("cut.sql", Dump(2000, complete: false), Day1);
        using (var check = Check(cut, FileExpectation.PgDumpComplete))
        {
            Assert.Equal(FailureReasons.IncompleteDump, (await check.RunAsync(CancellationToken.None)).Reason);
        }

        // pg_dump since the 2025 security releases ends with "\unrestrict KEY" after the trailer.
        string restricted = Write("restricted.sql", [.. Dump(10, complete: true), .. "\\unrestrict aBcD1234\n\n"u8.ToArray()], Day1);
        using (var check = Check(restricted, FileExpectation.PgDumpComplete))
        {
            var result = await check.RunAsync(CancellationToken.None);
            Assert.True(result.Success, result.Error);
        }

        string gz = Write("ok.sql.gz", Gzip(Dump(50000, complete: true)), Day1);
        using (var check = Check(gz, FileExpectation.PgDumpComplete))
        {
            var result = await check.RunAsync(CancellationToken.None);
            Assert.True(result.Success, result.Error);
        }

        string gzCut = Write("cut.sql.gz", Gzip(Dump(50000, complete: false)), Day1);
        using (var check = Check(gzCut, FileExpectation.PgDumpComplete))
        {
            Assert.Equal(FailureReasons.IncompleteDump, (await check.RunAsync(CancellationToken.None)).Reason);
        }

        byte[] full = Gzip(Dump(50000, complete: true));
        string truncated = Write("truncated.sql.gz", full[..(full.Length / 2)], Day1);
        using (var check = Check(truncated, FileExpectation.PgDumpComplete))
        {
            Assert.Equal(FailureReasons.InvalidGzip, (await check.RunAsync(CancellationToken.None)).Reason);
        }
    }

    [Theory]
    [InlineData("whole", null)]
    [InlineData("concatenated", null)]
    [InlineData("cut-trailer", FailureReasons.InvalidGzip)]
    [InlineData("cut-half", FailureReasons.InvalidGzip)]
    [InlineData("flipped", FailureReasons.InvalidGzip)]
    [InlineData("not-gzip", FailureReasons.InvalidGzip)]
    [InlineData("empty", FailureReasons.InvalidGzip)]
    public async Task Run_ExpectGzip(string shape, string? reason)
    {
        byte[] data = Dump(20000, complete: true);
        byte[] gz = Gzip(data);
        byte[] content = shape switch
        {
            "whole" => gz,
            "concatenated" => [.. gz, .. Gzip(Dump(300, complete: false))],
            "cut-trailer" => gz[..^4],
            "cut-half" => gz[..(gz.Length / 2)],
            "flipped" => Flip(gz, gz.Length / 2),
            "not-gzip" => data,
            _ => [],
        };
        string path = Write("b.gz", content, Day1);
        using var check = Check(path, FileExpectation.Gzip);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(reason == result.Reason, $"{shape}: {result.Reason} {result.Error}");
    }

    private static byte[] Flip(byte[] data, int at)
    {
        var copy = (byte[])data.Clone();
        copy[at] ^= 0x55;
        return copy;
    }

    [Fact]
    public async Task Run_ContentVerdict_IsKeptUntilTheFileChanges()
    {
        byte[] gz = Gzip(Dump(1000, complete: true));
        string path = Write("b.gz", gz, Day1);
        using var check = Check(path, FileExpectation.Gzip);
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);

        // Same size and time, other bytes: not read again (one decompression per version of the file).
        Write("b.gz", new byte[gz.Length], Day1);
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);

        // A new modification time is a new version: read, and found broken.
        File.SetLastWriteTimeUtc(path, Day1.AddMinutes(1));
        Assert.Equal(FailureReasons.InvalidGzip, (await check.RunAsync(CancellationToken.None)).Reason);
    }

    private static ConfigLoadResult Parse(string file) =>
        MonitorConfig.Parse($"checks:\n  - name: backup\n    file: {file}\n", "monitor.yaml", _ => null, p => throw new FileNotFoundException(p));

    [Fact]
    public void Read_PathAndExpect()
    {
        var result = Parse("{ path: /var/backups/pg/*.sql.gz, expect: pg_dump_complete }");
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var file = result.Options!.Checks[0].SettingsOf<FileStatCheckOptions>();
        Assert.Equal(("/var/backups/pg/*.sql.gz", FileExpectation.PgDumpComplete), (file.Path.Pattern, file.Expect));
        Assert.Equal("/var/backups/pg/*.sql.gz", result.Options.Checks[0].Target);
    }

    [Theory]
    [InlineData("{ path: backups/*.gz }", "monitor.yaml:3:19: checks[0].file.path: \"backups/*.gz\" must be an absolute path")]
    [InlineData("{ path: \"/b/[a-\" }", "monitor.yaml:3:19: checks[0].file.path: \"/b/[a-\" unclosed character class")]
    [InlineData("{ path: /b/*.gz, expect: zip }", "monitor.yaml:3:36: checks[0].file.expect: unknown expectation \"zip\" (one of pg_dump_complete, gzip)")]
    [InlineData("{ expect: gzip }", "monitor.yaml:3:11: checks[0].file.path: required")]
    [InlineData("{ path: /b, glob: x }", "monitor.yaml:3:23: checks[0].file: unknown key \"glob\"")]
    public void Read_Invalid_NamesFileLineColumnAndField(string file, string expected)
    {
        var errors = Parse(file).Errors.Select(e => e.ToString()).ToList();
        Assert.True(errors.Any(e => e.Contains(expected, StringComparison.Ordinal)), string.Join("\n", errors));
    }

    [Theory]
    [InlineData("/b/*.gz", "/b/x.gz", true)]
    [InlineData("/b/*.gz", "/b/.x.gz", true)]
    [InlineData("/b/app-????.sql", "/b/app-2024.sql", true)]
    [InlineData("/b/app-????.sql", "/b/app-24.sql", false)]
    [InlineData("/b/[!x]*", "/b/x1", false)]
    [InlineData("/b/[^x]*", "/b/y1", true)]
    [InlineData("/b/a\\*b", "/b/a*b", true)]
    [InlineData("/b/a\\*b", "/b/axb", false)]
    public void Glob_MatchesAsGoFilepathMatch(string pattern, string path, bool matches)
    {
        string root = Path.Combine(_dir, "g");
        string file = root + path;
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, [1]);
        var glob = FileGlob.Parse(root + pattern, out string? error);
        Assert.Null(error);
        Assert.Equal(matches, glob!.Match([]).Any(m => m.Path == file));
    }
}
