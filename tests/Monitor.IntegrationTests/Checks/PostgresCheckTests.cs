using System.Globalization;
using System.Text.RegularExpressions;
using Monitor.Checks;
using Monitor.Checks.Postgres;
using Monitor.Checks.Scrape;
using Monitor.Configuration;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;
using Npgsql;

namespace Monitor.IntegrationTests.Checks;

/// <summary>The postgres check against a real PostgreSQL 15 with load in every connection state.</summary>
public sealed class PostgresCheckTests : IAsyncLifetime
{
    private PostgresServer _pg = null!;

    public async Task InitializeAsync() => _pg = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await _pg.DisposeAsync();

    private static (PostgresCheck Check, SeriesStore Store) Check(string dsn, bool statements = false, string[]? databases = null)
    {
        var store = new SeriesStore();
        var options = new CheckOptions
        {
            Name = "db",
            Kind = PostgresCheck.Kind,
            Settings = new PostgresCheckOptions { Dsn = new Secret(dsn), Statements = statements, Databases = databases ?? [] },
            Interval = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(10),
        };
        return (new PostgresCheck(options, new SeriesScope(store, "db", new Dictionary<string, string>())), store);
    }

    private static async Task Exec(NpgsqlConnection connection, string sql, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static double Value(Dictionary<string, string> samples, string key) =>
        samples.TryGetValue(key, out var v) ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;

    [Fact]
    public async Task Run_UnderLoad_PublishesPostgresExporterSeries()
    {
        await using var idleInTx = _pg.Connect();
        await idleInTx.OpenAsync();
        await Exec(idleInTx, "BEGIN; SELECT 1");
        await using var aborted = _pg.Connect();
        await aborted.OpenAsync();
        await Exec(aborted, "BEGIN");
        await Assert.ThrowsAsync<PostgresException>(() => Exec(aborted, "SELECT 1/0"));
        await using var active = _pg.Connect();
        await active.OpenAsync();
        await using var work = _pg.Connect();
        await work.OpenAsync();
        await Exec(work, "SET work_mem = '64kB'; SELECT count(*) FROM (SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC) s");
        await Exec(work, "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0), (2, 0)");
        await Deadlock();

        // pg_stat_activity_max_tx_duration below must see the idle transaction open for a second: wait until the server does.
        double open = 0;
        await Eventually.HoldsAsync(
            async () =>
            {
                await using var age = new NpgsqlCommand("SELECT EXTRACT(EPOCH FROM now() - xact_start)::float8 FROM pg_stat_activity WHERE pid = @pid", work);
                age.Parameters.AddWithValue("pid", idleInTx.ProcessID);
                open = (double)(await age.ExecuteScalarAsync())!;
                return open >= 1;
            },
            TimeSpan.FromSeconds(20),
            () => $"the idle transaction has been open {open}s");
        using var stopSleeping = new CancellationTokenSource();
        var sleeping = Exec(active, "SELECT pg_sleep(60)", stopSleeping.Token);

        var (check, store) = Check(_pg.Dsn("app"));
        Dictionary<string, string> s = [];
        await Eventually.HoldsAsync(
            async () =>
            {
                var result = await check.RunAsync(CancellationToken.None);
                Assert.True(result.Success, result.Error);
                s = Exposition.Samples(store);
                return Value(s, "pg_stat_database_temp_files{check=\"db\",datid=\"" + Datid(s) + "\",datname=\"app\"}") >= 1
                    && Value(s, "pg_stat_database_deadlocks{check=\"db\",datid=\"" + Datid(s) + "\",datname=\"app\"}") >= 1;
            },
            TimeSpan.FromSeconds(20),
            () => string.Join("\n", s.Where(kv => kv.Key.Contains("app", StringComparison.Ordinal)).Select(kv => $"{kv.Key} {kv.Value}")));

        Assert.Equal("1", s["pg_up{check=\"db\"}"]);
        Assert.Contains(s.Keys, k => k.StartsWith("pg_static{check=\"db\",short_version=\"15.", StringComparison.Ordinal));
        foreach (string state in new[] { "active", "idle", "idle in transaction", "idle in transaction (aborted)", "fastpath function call", "disabled" })
        {
            Assert.Contains(s.Keys, k => k.StartsWith($"pg_stat_activity_count{{check=\"db\",datname=\"app\",state=\"{state}\"", StringComparison.Ordinal));
        }

        string activity = string.Join("\n", s.Where(kv => kv.Key.StartsWith("pg_stat_activity", StringComparison.Ordinal) && kv.Key.Contains("app", StringComparison.Ordinal)).Select(kv => $"{kv.Key} {kv.Value}"));
        Assert.True(s.Where(kv => kv.Key.Contains("datname=\"app\",state=\"idle in transaction\",", StringComparison.Ordinal) && kv.Key.StartsWith("pg_stat_activity_count", StringComparison.Ordinal)).Sum(kv => double.Parse(kv.Value, System.Globalization.CultureInfo.InvariantCulture)) >= 1, activity);
        Assert.True(s.Where(kv => kv.Key.Contains("datname=\"app\",state=\"idle in transaction\",usename=\"postgres\"", StringComparison.Ordinal) && kv.Key.StartsWith("pg_stat_activity_max_tx_duration", StringComparison.Ordinal)).Max(kv => double.Parse(kv.Value, System.Globalization.CultureInfo.InvariantCulture)) >= 1);
        Assert.True(s.Where(kv => kv.Key.Contains("datname=\"app\",state=\"idle in transaction (aborted)\",", StringComparison.Ordinal) && kv.Key.StartsWith("pg_stat_activity_count", StringComparison.Ordinal)).Sum(kv => double.Parse(kv.Value, System.Globalization.CultureInfo.InvariantCulture)) >= 1, activity);
        Assert.True(s.Where(kv => kv.Key.Contains("datname=\"app\",state=\"active\",", StringComparison.Ordinal) && kv.Key.StartsWith("pg_stat_activity_count", StringComparison.Ordinal)).Sum(kv => double.Parse(kv.Value, System.Globalization.CultureInfo.InvariantCulture)) >= 1);
        Assert.True(Value(s, "pg_database_size_bytes{check=\"db\",datname=\"app\"}") > 1_000_000);
        Assert.Equal(-1, Value(s, "pg_database_connection_limit{check=\"db\",datname=\"app\"}"));
        Assert.Equal(100, Value(s, "pg_settings_max_connections{check=\"db\"}"));
        Assert.Equal(0, Value(s, "pg_replication_is_replica{check=\"db\"}"));
        Assert.Contains("pg_locks_count{check=\"db\",datname=\"app\",mode=\"accesssharelock\"}", s.Keys);
        Assert.Contains("pg_stat_database_xact_commit{check=\"db\",datid=\"" + Datid(s) + "\",datname=\"app\"}", s.Keys);
        Assert.DoesNotContain(s.Keys, k => k.Contains("datname=\"\"", StringComparison.Ordinal));
        await stopSleeping.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleeping);
    }

    private static string Datid(Dictionary<string, string> s) =>
        s.Keys.Where(k => k.StartsWith("pg_stat_database_numbackends{", StringComparison.Ordinal) && k.Contains("datname=\"app\"", StringComparison.Ordinal))
            .Select(k => k[(k.IndexOf("datid=\"", StringComparison.Ordinal) + 7)..].Split('"')[0]).FirstOrDefault() ?? "?";

    private async Task Deadlock()
    {
        await using var a = _pg.Connect();
        await using var b = _pg.Connect();
        await a.OpenAsync();
        await b.OpenAsync();
        await Exec(a, "BEGIN; UPDATE t SET v = 1 WHERE id = 1");
        await Exec(b, "BEGIN; UPDATE t SET v = 1 WHERE id = 2");
        var first = Exec(a, "UPDATE t SET v = 2 WHERE id = 2");
        var second = Exec(b, "UPDATE t SET v = 2 WHERE id = 1");
        // One of them is chosen as the victim; the other then proceeds.
        var outcomes = await Task.WhenAll(Capture(first), Capture(second));
        Assert.Contains(outcomes, o => o is PostgresException { SqlState: "40P01" });
        await Exec(a, "ROLLBACK");
        await Exec(b, "ROLLBACK");
    }

    private static async Task<Exception?> Capture(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (PostgresException e)
        {
            return e;
        }
    }

    [Fact]
    public async Task Run_Statements_TopQueriesWithSeconds()
    {
        await using (var connection = _pg.Connect("postgres"))
        {
            await connection.OpenAsync();
            await Exec(connection, "SELECT pg_sleep(0.3)");
        }

        var (check, store) = Check(_pg.Dsn("postgres"), statements: true);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        var s = Exposition.Samples(store);
        var seconds = s.Where(kv => kv.Key.StartsWith("pg_stat_statements_seconds_total{check=\"db\",user=\"postgres\",datname=\"postgres\",queryid=", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(seconds);
        Assert.True(seconds.Max(kv => double.Parse(kv.Value, System.Globalization.CultureInfo.InvariantCulture)) >= 0.3);
        Assert.Contains(s.Keys, k => k.StartsWith("pg_stat_statements_calls_total{", StringComparison.Ordinal));
        Assert.Contains(s.Keys, k => k.StartsWith("pg_stat_statements_rows_total{", StringComparison.Ordinal));

        // Without the extension in the database: not an error, said once.
        var (appCheck, _) = Check(_pg.Dsn("app"), statements: true);
        var first = await appCheck.RunAsync(CancellationToken.None);
        Assert.True(first.Success);
        Assert.Contains("pg_stat_statements is not installed", first.Error);
        Assert.Null((await appCheck.RunAsync(CancellationToken.None)).Error);
    }

    [Fact]
    public async Task Run_OneQueryRefused_TheOthersArePublishedAndItFailsOnItsOwn()
    {
        var (check, store) = Check(_pg.Dsn("app"));
        using var _ = check;
        var first = await check.RunAsync(CancellationToken.None);
        Assert.True(first.Success, first.Error);
        Assert.Contains(Exposition.Samples(store).Keys, k => k.StartsWith("pg_locks_count{", StringComparison.Ordinal));

        // The role loses pg_locks: that query fails with its own reason, every other query still publishes.
        await using (var admin = _pg.Connect())
        {
            await admin.OpenAsync();
            await Exec(admin, "REVOKE SELECT ON pg_catalog.pg_locks FROM PUBLIC");
        }

        var result = await check.RunAsync(CancellationToken.None);
        Assert.False(result.Success);
        var part = Assert.Single(result.Parts);
        Assert.Equal(("pg_locks", FailureReasons.Query), (part.Part, part.Reason));
        Assert.Contains("42501", part.Error, StringComparison.Ordinal);
        var s = Exposition.Samples(store);
        Assert.Equal("1", s["pg_up{check=\"db\"}"]);
        Assert.Contains(s.Keys, k => k.StartsWith("pg_stat_activity_count{", StringComparison.Ordinal));
        Assert.Contains("pg_database_size_bytes{check=\"db\",datname=\"app\"}", s.Keys);
        Assert.Contains(s.Keys, k => k.StartsWith("pg_locks_count{", StringComparison.Ordinal)); // its last good values, kept
    }

    [Fact]
    public async Task Run_WrongPasswordOrServerDown_IsPgUpZeroWithReason()
    {
        var (badAuth, store) = Check(_pg.Dsn("app", password: "wrong"));
        var result = await badAuth.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Auth, result.Reason);
        Assert.DoesNotContain("wrong", result.Error);
        Assert.Equal("0", Exposition.Samples(store)["pg_up{check=\"db\"}"]);

        var (check, upStore) = Check(_pg.Dsn("app"));
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Assert.Contains("pg_database_size_bytes{check=\"db\",datname=\"app\"}", Exposition.Samples(upStore).Keys);
        await _pg.StopAsync();
        result = await check.RunAsync(CancellationToken.None);
        Assert.False(result.Success); // the pooled connection died with the server: "connect"
        result = await check.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.ConnectionRefused, result.Reason);
        var s = Exposition.Samples(upStore);
        Assert.Equal("0", s["pg_up{check=\"db\"}"]);
        Assert.DoesNotContain("pg_database_size_bytes{check=\"db\",datname=\"app\"}", s.Keys);
    }

    /// <summary>
    /// postgres_exporter 0.11 (Debian) against the same server in the same run: every family it publishes
    /// for the views Monitor mirrors exists in Monitor's output, its label names (less its `server`) are a
    /// subset of Monitor's (less `check`), and values agree — counters between the Monitor reads taken
    /// before and after the exporter's, gauges within the sessions and locks the readers themselves hold.
    /// </summary>
    [Fact]
    public async Task Compare_WithPostgresExporter011_SameFamiliesLabelsAndValues()
    {
        int port = FreePort.Get();
        using var exporter = new ExternalProcess(
            Tools.Require("prometheus-postgres-exporter", "prometheus-postgres-exporter"),
            [$"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            new Dictionary<string, string> { ["DATA_SOURCE_NAME"] = _pg.Dsn("app") });
        using var http = new HttpClient();
        var metricsUri = new Uri($"http://127.0.0.1:{port}/metrics");
        await Eventually.HoldsAsync(async () => (await http.GetStringAsync(metricsUri)).Contains("pg_up 1", StringComparison.Ordinal), TimeSpan.FromSeconds(30), () => exporter.Output);
        await using (var work = _pg.Connect())
        {
            await work.OpenAsync();
            await Exec(work, "CREATE TABLE load (id int); INSERT INTO load SELECT generate_series(1, 1000); DELETE FROM load WHERE id < 100");
        }

        var (check, store) = Check(_pg.Dsn("app"));
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        var before = Index(ExpositionParser.Parse(Exposition.Text(store), openMetrics: false), "check");
        var theirs = Index(ExpositionParser.Parse(await http.GetStringAsync(metricsUri), openMetrics: false), "server");
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        var after = Index(ExpositionParser.Parse(Exposition.Text(store), openMetrics: false), "check");

        var views = new Regex("^pg_(up|static|stat_activity_.*|stat_database_.*|database_size_bytes|locks_count|settings_max_connections)$");
        var compared = 0;
        foreach (var (family, (type, samples)) in theirs.Where(f => views.IsMatch(f.Key)))
        {
            Assert.True(before.ContainsKey(family), $"postgres_exporter publishes {family}; Monitor does not");
            foreach (var (labels, value) in samples)
            {
                if (labels.TryGetValue("datname", out var datname) && datname.Length == 0)
                {
                    continue; // the shared-objects row of pg_stat_database: Monitor skips NULL datname, as postgres_exporter does
                }

                var ours1 = Matching(before[family].Samples, labels);
                var ours2 = Matching(after[family].Samples, labels);
                Assert.True(ours1.Count > 0, $"{family}{{{string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"))}}} has no match in Monitor's output");
                Assert.True(labels.Keys.All(k => ours1[0].Labels.ContainsKey(k)), $"{family}: label names {string.Join(",", labels.Keys)} not all in Monitor's {string.Join(",", ours1[0].Labels.Keys)}");
                double a = ours1.Sum(s => s.Value), b = ours2.Sum(s => s.Value);
                string what = $"{family}{{{string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"))}}}: Monitor {a} then {b}, exporter {value}";
                if (double.IsNaN(value))
                {
                    Assert.True(double.IsNaN(a), what);
                }
                else if (family is "pg_stat_activity_max_tx_duration")
                {
                    // Durations of live transactions: only their presence compares.
                }
                else if (family is "pg_stat_activity_count" or "pg_stat_database_numbackends" or "pg_locks_count")
                {
                    Assert.True(Math.Abs(value - a) <= 3 || Math.Abs(value - b) <= 3, what); // the readers' own sessions and locks
                }
                else if (family == "pg_database_size_bytes")
                {
                    Assert.True(Math.Abs(value - b) <= 2 * 1048576, what);
                }
                else
                {
                    Assert.True(Math.Min(a, b) <= value + 1e-6 && value <= Math.Max(a, b) + 1e-6, what);
                }

                compared++;
            }
        }

        Assert.True(compared > 100, $"only {compared} series compared");
    }

    private static Dictionary<string, (Monitor.Metrics.MetricType Type, List<(Dictionary<string, string> Labels, double Value)> Samples)> Index(List<ParsedFamily> families, string dropLabel) =>
        families.ToDictionary(
            f => f.Name,
            f => (f.Type, f.Samples.Select(s => (s.Labels.Where(l => l.Name != dropLabel).ToDictionary(l => l.Name, l => l.Value), s.Value)).ToList()));

    private static List<(Dictionary<string, string> Labels, double Value)> Matching(List<(Dictionary<string, string> Labels, double Value)> ours, Dictionary<string, string> theirs) =>
        [.. ours.Where(o => theirs.All(t => o.Labels.TryGetValue(t.Key, out var v) && v == t.Value))];
}
