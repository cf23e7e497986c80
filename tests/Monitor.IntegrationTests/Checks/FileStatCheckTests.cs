using Monitor.Checks;
using Monitor.Checks.FileStat;
using Monitor.Configuration;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;
using Npgsql;

namespace Monitor.IntegrationTests.Checks;

/// <summary>The file check on real pg_dump output of a real PostgreSQL 15, compressed with Debian's gzip.</summary>
public sealed class FileStatCheckTests : IAsyncLifetime
{
    private PostgresServer _pg = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _pg = await PostgresServer.StartAsync();
        _dir = Tools.TempDirectory();
        await using var connection = _pg.Connect();
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 20000) g", connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await _pg.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static (FileStatCheck Check, SeriesStore Store) Check(string glob, FileExpectation expect)
    {
        var store = new SeriesStore();
        var options = new CheckOptions { Name = "pg-backup", Kind = FileStatCheck.Kind, Settings = new FileStatCheckOptions { Path = FileGlob.Parse(glob, out _)!, Expect = expect }, Interval = TimeSpan.FromMinutes(1), Timeout = TimeSpan.FromSeconds(30) };
        return (new FileStatCheck(options, new SeriesScope(store, "pg-backup", options.Labels)), store);
    }

    private async Task<string> PgDump(string name)
    {
        string file = Path.Combine(_dir, name);
        var (code, output) = await ExternalProcess.RunAsync(
            "/usr/lib/postgresql/15/bin/pg_dump",
            ["-h", "127.0.0.1", "-p", _pg.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-f", file, "app"],
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = PostgresServer.SuperPassword });
        Assert.True(code == 0, output);
        return file;
    }

    private static async Task Shell(string script)
    {
        var (code, output) = await ExternalProcess.RunAsync("sh", ["-c", script]);
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task PgDumpOutput_PlainAndGzip_CompleteAndTruncated()
    {
        string plain = await PgDump("app-1.sql");
        await Shell($"gzip -k '{plain}' && head -c $(( $(stat -c %s '{plain}.gz') / 2 )) '{plain}.gz' > '{_dir}/cut.sql.gz' && head -c $(( $(stat -c %s '{plain}') - 200 )) '{plain}' > '{_dir}/cut.sql'");

        foreach (var (file, expect, reason) in new (string, FileExpectation, string?)[]
        {
            (plain, FileExpectation.PgDumpComplete, null),
            (plain + ".gz", FileExpectation.PgDumpComplete, null),
            (plain + ".gz", FileExpectation.Gzip, null),
            ($"{_dir}/cut.sql", FileExpectation.PgDumpComplete, FailureReasons.IncompleteDump),
            ($"{_dir}/cut.sql.gz", FileExpectation.PgDumpComplete, FailureReasons.InvalidGzip),
            ($"{_dir}/cut.sql.gz", FileExpectation.Gzip, FailureReasons.InvalidGzip),
        })
        {
            var (check, _) = Check(file, expect);
            var result = await check.RunAsync(CancellationToken.None);
            Assert.True(result.Reason == reason, $"{Path.GetFileName(file)} {expect}: {result.Reason} {result.Error}");
        }
    }

    [Fact]
    public async Task NightlyDumps_NewestAgeSizeCount_AndPreviousSize()
    {
        string first = await PgDump("app-2024-05-01.sql");
        File.SetLastWriteTimeUtc(first, new DateTime(2024, 5, 1, 2, 0, 0, DateTimeKind.Utc));
        await using (var connection = _pg.Connect())
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("DELETE FROM items WHERE id > 5000", connection);
            await command.ExecuteNonQueryAsync();
        }

        string second = await PgDump("app-2024-05-02.sql");
        var (check, store) = Check($"{_dir}/app-*.sql", FileExpectation.PgDumpComplete);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        var s = Exposition.Samples(store);
        Assert.Equal(new FileInfo(second).Length.ToString(System.Globalization.CultureInfo.InvariantCulture), s[$"file_stat_size_bytes{{check=\"pg-backup\",path=\"{second}\"}}"]);
        Assert.Equal(new FileInfo(first).Length.ToString(System.Globalization.CultureInfo.InvariantCulture), s["monitor_file_previous_size_bytes{check=\"pg-backup\"}"]);
        Assert.Equal("2", s["monitor_file_count{check=\"pg-backup\"}"]);

        // The smaller-than-the-last rule's condition holds: a quarter of the rows left.
        Assert.True(new FileInfo(second).Length < 0.9 * new FileInfo(first).Length);
    }
}
