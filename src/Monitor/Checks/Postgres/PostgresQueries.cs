namespace Monitor.Checks.Postgres;

/// <summary>The queries of postgres_exporter's collectors that Monitor mirrors (docs/metrics.md, PostgreSQL).</summary>
internal static class PostgresQueries
{
    public const string Version = "SELECT version(), current_setting('server_version'), current_setting('server_version_num')::int";

    /// <summary>Every state for every database, 0 when no session is in it; the check's own session left out.</summary>
    public const string Activity = """
        SELECT d.datname, s.state, COALESCE(a.usename, '') AS usename, COALESCE(a.application_name, '') AS application_name,
               COALESCE(a.count, 0) AS count, COALESCE(a.max_tx_duration, 0) AS max_tx_duration
        FROM pg_database d
        CROSS JOIN (VALUES ('active'), ('idle'), ('idle in transaction'), ('idle in transaction (aborted)'),
                           ('fastpath function call'), ('disabled')) AS s(state)
        LEFT JOIN (
            SELECT datname, state, usename, application_name, count(*) AS count,
                   MAX(EXTRACT(EPOCH FROM now() - xact_start))::float8 AS max_tx_duration
            FROM pg_stat_activity
            WHERE pid <> pg_backend_pid() AND datname IS NOT NULL
            GROUP BY datname, state, usename, application_name
        ) a ON a.datname = d.datname AND a.state = s.state
        """;

    /// <summary>Every column, whichever the server version has (PostgreSQL 14 added the session columns).</summary>
    public const string Database = "SELECT * FROM pg_stat_database WHERE datname IS NOT NULL";

    public const string DatabaseConflicts = "SELECT * FROM pg_stat_database_conflicts WHERE datname IS NOT NULL";

    public const string DatabaseSize = "SELECT datname, pg_database_size(datname)::float8, datconnlimit FROM pg_database";

    public const string MaxConnections = "SELECT setting::float8 FROM pg_settings WHERE name = 'max_connections'";

    public const string Replication = """
        SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END,
               CASE WHEN NOT pg_is_in_recovery() THEN 0
                    ELSE GREATEST(0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())))::float8 END
        """;

    public const string Locks = """
        SELECT d.datname, m.mode, COALESCE(l.count, 0)
        FROM pg_database d
        CROSS JOIN (VALUES ('accesssharelock'), ('rowsharelock'), ('rowexclusivelock'), ('shareupdateexclusivelock'),
                           ('sharelock'), ('sharerowexclusivelock'), ('exclusivelock'), ('accessexclusivelock'),
                           ('sireadlock')) AS m(mode)
        LEFT JOIN (SELECT database, lower(mode) AS mode, count(*) AS count FROM pg_locks
                   WHERE database IS NOT NULL GROUP BY database, lower(mode)) l
          ON l.database = d.oid AND l.mode = m.mode
        """;

    public const string HasStatements = "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'";

    /// <summary>Top 100 by total time; PostgreSQL 13 renamed total_time to total_exec_time (milliseconds).</summary>
    public static string Statements(int serverVersionNum) => $"""
        SELECT pg_get_userbyid(s.userid) AS "user", d.datname, s.queryid::text, sum(s.calls)::float8,
               sum(s.{(serverVersionNum >= 130000 ? "total_exec_time" : "total_time")})::float8 / 1000.0, sum(s.rows)::float8
        FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        GROUP BY 1, 2, 3
        ORDER BY 5 DESC LIMIT 100
        """;
}
