using System.Net.Sockets;
using Monitor.Configuration;
using Monitor.Metrics;
using Npgsql;

namespace Monitor.Checks.Postgres;

/// <summary>
/// postgres_exporter's series for one server, read with one pooled connection (pool size 1: a poller, not
/// an application) and a statement timeout so a locked catalog cannot hang the check. The server down or
/// the login refused is <c>pg_up 0</c> with a reason, never an exception out of the check.
/// </summary>
internal sealed class PostgresCheck : ICheck
{
    /// <summary>The <c>postgres</c> kind: pg_stat_* views under postgres_exporter's names.</summary>
    /// <summary>The metric families a postgres check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new([
        "pg_up", "pg_static", "pg_stat_activity_count", "pg_stat_activity_max_tx_duration", "pg_database_size_bytes", "pg_database_connection_limit",
        "pg_settings_max_connections", "pg_replication_is_replica", "pg_replication_lag_seconds", "pg_locks_count",
        "pg_stat_statements_calls_total", "pg_stat_statements_seconds_total", "pg_stat_statements_rows_total",
    ], "pg_stat_database_");

    public static readonly CheckKind Kind = new("postgres", PostgresCheckOptions.Read, (options, context) => new PostgresCheck(options, context.Scope), Families);

    private static readonly string[] StatDatabaseColumns =
    [
        "numbackends", "xact_commit", "xact_rollback", "blks_read", "blks_hit", "tup_returned", "tup_fetched", "tup_inserted",
        "tup_updated", "tup_deleted", "conflicts", "temp_files", "temp_bytes", "deadlocks", "blk_read_time", "blk_write_time",
    ];

    private readonly PostgresCheckOptions _pg;
    private readonly SeriesScope _scope;
    private readonly NpgsqlDataSource? _dataSource;
    private readonly string? _dsnError;
    private readonly Sample _up;
    private readonly SeriesGeneration _generation;
    private bool _statementsMissingReported;
    private readonly PartSeries _parts = new();

    public PostgresCheck(CheckOptions options, SeriesScope scope)
    {
        Options = options;
        _pg = options.SettingsOf<PostgresCheckOptions>();
        _scope = scope;
        _generation = new SeriesGeneration(scope);
        _up = scope.Gauge("pg_up", "Whether the last scrape of metrics from PostgreSQL was able to connect to the server (1 for yes, 0 for no).");
        try
        {
            var builder = PostgresDsn.Parse(_pg.Dsn.Reveal());
            builder.MaxPoolSize = 1;
            builder.ApplicationName ??= "monitor";
            builder.Timeout = Math.Max(1, (int)Math.Ceiling(options.Timeout.TotalSeconds));
            builder.CommandTimeout = Math.Max(1, (int)Math.Ceiling(options.Timeout.TotalSeconds));
            builder.Options = $"-c statement_timeout={(long)options.Timeout.TotalMilliseconds}";
            _dataSource = NpgsqlDataSource.Create(builder);
        }
        catch (ArgumentException e)
        {
            // Say what is wrong with the DSN without repeating it: it holds the password.
            _dsnError = $"invalid dsn: {PostgresDsn.Problem(e)}";
        }
    }

    public CheckOptions Options { get; }

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        if (_dataSource is null)
        {
            _up.Set(0);
            return CheckResult.Fail(FailureReasons.Config, _dsnError!);
        }

        var published = SeriesGeneration.NewSet();
        var current = published;
        string? warning = null;
        var failures = new List<PartFailure>();
        int partsTried = 0;

        // One query. The server refusing it (no privilege on a view, a statement timeout, a function this version
        // lacks) is the query's own failure: the other queries run and publish, and its series of its last good run
        // are kept. A connection failure is the whole check's, and ends the run.
        async Task Part(string part, Func<Task> query)
        {
            partsTried++;
            var set = SeriesGeneration.NewSet();
            current = set;
            try
            {
                await query();
                _parts.Succeeded(part, set);
            }
            catch (PostgresException e) when (!cancellationToken.IsCancellationRequested && !e.IsTransient && e.SqlState is not ("28P01" or "28000" or "3D000"))
            {
                var classified = Classify(e, timedOut: false);
                failures.Add(new PartFailure(part, classified.Reason!, classified.Error!));
                set.UnionWith(_parts.Kept(part));
            }
            finally
            {
                current = published;
                published.UnionWith(set);
            }
        }
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            int versionNum = 0;
            await Part("version", () => Query(connection, PostgresQueries.Version, r =>
            {
                versionNum = r.GetInt32(2);
                string shortVersion = ShortVersion(r.GetString(1));
                Publish(current, Gauge("pg_static", "Version string as reported by postgres", new("short_version", shortVersion), new("version", r.GetString(0))), 1);
            }, cancellationToken));

            var databases = _pg.Databases.Count > 0 ? _pg.Databases.ToHashSet(StringComparer.Ordinal) : null;
            bool Wanted(string datname) => databases is null || databases.Contains(datname);

            await Part("pg_stat_activity", () => Query(connection, PostgresQueries.Activity, r =>
            {
                string datname = r.GetString(0);
                if (!Wanted(datname))
                {
                    return;
                }

                Label[] labels = [new("datname", datname), new("state", r.GetString(1)), new("usename", r.GetString(2)), new("application_name", r.GetString(3))];
                Publish(current, Gauge("pg_stat_activity_count", "number of connections in this state", labels), r.GetInt64(4));
                Publish(current, Gauge("pg_stat_activity_max_tx_duration", "max duration in seconds any active transaction has been running", labels), r.GetDouble(5));
            }, cancellationToken));

            // pg_stat_database and pg_stat_database_conflicts column by column, as the exporter maps them:
            // the classic counters as counters (without _total), numbackends as a gauge, any other column of
            // this server version (sessions, session_time, stats_reset, ...) untyped; NULL is NaN.
            foreach (var (sql, prefix) in new[] { (PostgresQueries.Database, "pg_stat_database_"), (PostgresQueries.DatabaseConflicts, "pg_stat_database_conflicts_") })
            {
                await Part(prefix.TrimEnd('_'), () => Query(connection, sql, r =>
                {
                    string datname = r.GetString(r.GetOrdinal("datname"));
                    if (!Wanted(datname))
                    {
                        return;
                    }

                    Label[] labels = [new("datid", Convert.ToString(r.GetValue(r.GetOrdinal("datid")), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty), new("datname", datname)];
                    for (int i = 0; i < r.FieldCount; i++)
                    {
                        string column = r.GetName(i);
                        if (column is "datid" or "datname")
                        {
                            continue;
                        }

                        string name = prefix + column;
                        var series = column == "numbackends"
                            ? Gauge(name, "Number of backends currently connected to this database.", labels)
                            : StatDatabaseColumns.Contains(column) || prefix.EndsWith("conflicts_", StringComparison.Ordinal)
                                ? _scope.Counter(name, $"{column} from {prefix.TrimEnd('_')}.", labels)
                                : _scope.Untyped(name, $"{column} from {prefix.TrimEnd('_')}.", labels);
                        Publish(current, series, ToDouble(r.GetValue(i)));
                    }
                }, cancellationToken));
            }

            await Part("pg_database", () => Query(connection, PostgresQueries.DatabaseSize, r =>
            {
                string datname = r.GetString(0);
                if (Wanted(datname))
                {
                    Publish(current, Gauge("pg_database_size_bytes", "Disk space used by the database", new Label("datname", datname)), r.GetDouble(1));
                    Publish(current, Gauge("pg_database_connection_limit", "Connection limit set for the database", new Label("datname", datname)), r.GetInt32(2));
                }
            }, cancellationToken));

            await Part("pg_settings", () => Query(connection, PostgresQueries.MaxConnections, r =>
                Publish(current, Gauge("pg_settings_max_connections", "Server Parameter: max_connections"), r.GetDouble(0)), cancellationToken));

            await Part("pg_replication", () => Query(connection, PostgresQueries.Replication, r =>
            {
                Publish(current, Gauge("pg_replication_is_replica", "Indicates if the server is a replica"), r.GetInt32(0));
                Publish(current, Gauge("pg_replication_lag_seconds", "Replication lag behind master in seconds"), r.GetDouble(1));
            }, cancellationToken));

            await Part("pg_locks", () => Query(connection, PostgresQueries.Locks, r =>
            {
                string datname = r.GetString(0);
                if (Wanted(datname))
                {
                    Publish(current, Gauge("pg_locks_count", "Number of locks", new("datname", datname), new("mode", r.GetString(1))), r.GetInt64(2));
                }
            }, cancellationToken));

            if (_pg.Statements)
            {
                await Part("pg_stat_statements", async () =>
                {
                    long installed = 0;
                    await Query(connection, PostgresQueries.HasStatements, r => installed = r.GetInt64(0), cancellationToken);
                    if (installed == 0)
                    {
                        // Reported once: a missing extension is a setup choice, not an outage.
                        if (!_statementsMissingReported)
                        {
                            warning = "pg_stat_statements is not installed in this database; statement series are skipped";
                            _statementsMissingReported = true;
                        }
                    }
                    else
                    {
                        await Query(connection, PostgresQueries.Statements(versionNum), r =>
                        {
                            Label[] labels = [new("user", r.GetString(0)), new("datname", r.GetString(1)), new("queryid", r.GetString(2))];
                            Publish(current, _scope.Counter("pg_stat_statements_calls_total", "Number of times executed", labels), r.GetDouble(3));
                            Publish(current, _scope.Counter("pg_stat_statements_seconds_total", "Total time spent in the statement, in seconds", labels), r.GetDouble(4));
                            Publish(current, _scope.Counter("pg_stat_statements_rows_total", "Total number of rows retrieved or affected by the statement", labels), r.GetDouble(5));
                        }, cancellationToken);
                    }
                });
            }
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            _up.Set(0);
            _generation.Retain(published);
            // A pooled connection may be dead (the server restarted): start the next run on a fresh one.
            _dataSource.Clear();
            return Classify(e, cancellationToken.IsCancellationRequested);
        }

        _generation.Retain(published);
        _up.Set(1);
        var partsResult = CheckResult.FromParts(failures, partsTried);
        if (!partsResult.Success)
        {
            return partsResult;
        }

        return warning is null ? CheckResult.Ok : CheckResult.Ok with { Error = warning };
    }

    private Sample Gauge(string name, string help, params Label[] labels) => _scope.Gauge(name, help, labels);

    private static double ToDouble(object value) => value switch
    {
        DBNull => double.NaN,
        DateTime t => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeMilliseconds() / 1000.0,
        DateTimeOffset t => t.ToUnixTimeMilliseconds() / 1000.0,
        IConvertible c => c.ToDouble(System.Globalization.CultureInfo.InvariantCulture),
        _ => double.NaN,
    };

    private static void Publish(HashSet<Series> published, Sample series, double value)
    {
        series.Set(value);
        published.Add(series);
    }

    private static async Task Query(NpgsqlConnection connection, string sql, Action<NpgsqlDataReader> row, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            row(reader);
        }
    }

    /// <summary>"15.18 (Debian 15.18-0+deb12u1)" → "15.18.0", as the exporter's semver.</summary>
    internal static string ShortVersion(string serverVersion)
    {
        string number = serverVersion.Split(' ')[0];
        var parts = number.Split('.').Select(p => new string([.. p.TakeWhile(char.IsAsciiDigit)])).Where(p => p.Length > 0).ToList();
        while (parts.Count < 3)
        {
            parts.Add("0");
        }

        return string.Join(".", parts.Take(3));
    }

    private static CheckResult Classify(Exception e, bool timedOut)
    {
        if (timedOut)
        {
            return CheckResult.Fail(FailureReasons.Timeout, "timed out");
        }

        return e switch
        {
            PostgresException { SqlState: "28P01" or "28000" } pe => CheckResult.Fail(FailureReasons.Auth, pe.MessageText),
            PostgresException { SqlState: "3D000" } pe => CheckResult.Fail(FailureReasons.Config, pe.MessageText),
            PostgresException { SqlState: "57014" } pe => CheckResult.Fail(FailureReasons.Timeout, pe.MessageText),
            PostgresException pe => CheckResult.Fail(FailureReasons.Query, $"{pe.SqlState}: {pe.MessageText}"),
            NpgsqlException { InnerException: IOException or EndOfStreamException } ne => CheckResult.Fail(FailureReasons.Connect, $"connection lost: {ne.InnerException!.Message}"),
            _ => ProbeNetwork.Classify(e, timedOut),
        };
    }

    public void Dispose() => _dataSource?.Dispose();
}
