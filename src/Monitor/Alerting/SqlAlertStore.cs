using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Monitor.Configuration;
using Npgsql;

namespace Monitor.Alerting;

/// <summary>
/// The store on SQL: one schema for SQLite and PostgreSQL (both speak <c>INSERT … ON CONFLICT … DO UPDATE</c>),
/// records as JSON in <c>data</c> columns next to the columns queries filter on. The schema version lives in
/// <c>monitor_schema</c>; <see cref="MigrateAsync"/> applies the missing steps in one transaction (under an
/// advisory lock on PostgreSQL, so replicas starting together migrate once).
/// </summary>
internal sealed class SqlAlertStore : IAlertStore
{
    /// <summary>Schema steps; step i takes the schema from version i to i + 1. Never edit a released step.</summary>
    private static readonly string[][] Migrations =
    [
        [
            "CREATE TABLE alerts (fingerprint TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at BIGINT NOT NULL)",
            "CREATE TABLE alert_groups (group_key TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at BIGINT NOT NULL)",
            "CREATE TABLE silences (id TEXT PRIMARY KEY, data TEXT NOT NULL, ends_at BIGINT NOT NULL)",
            "CREATE TABLE outbox (id TEXT PRIMARY KEY, receiver TEXT NOT NULL, severity INTEGER NOT NULL, status TEXT NOT NULL, "
                + "attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL, created_at BIGINT NOT NULL, delivered_at BIGINT, last_error TEXT, data TEXT NOT NULL)",
            "CREATE INDEX outbox_due ON outbox (status, severity, next_attempt_at)",
            "CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at BIGINT NOT NULL)",
        ],
        [
            "CREATE TABLE report_marks (name TEXT PRIMARY KEY, last_at BIGINT NOT NULL)",
        ],
        [
            "ALTER TABLE leases ADD COLUMN token BIGINT NOT NULL DEFAULT 0",
        ],
    ];

    /// <summary>How long delivered outbox entries are kept (for the API's history) before they are pruned.</summary>
    private static readonly TimeSpan DeliveredRetention = TimeSpan.FromDays(1);

    private readonly Func<DbConnection> _connect;
    private readonly bool _postgres;
    private readonly IDisposable? _dataSource;
    private long _lastPrune;

    private SqlAlertStore(Func<DbConnection> connect, bool postgres, IDisposable? dataSource)
    {
        _connect = connect;
        _postgres = postgres;
        _dataSource = dataSource;
    }

    public string Kind => _postgres ? "postgres" : "sqlite";

    public LeaseFence? Fence { get; set; }

    public static int SchemaVersion => Migrations.Length;

    public static SqlAlertStore Sqlite(string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        string connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        return new SqlAlertStore(() => new SqliteConnection(connectionString), postgres: false, null);
    }

    public static SqlAlertStore Postgres(string connectionString)
    {
        var dataSource = NpgsqlDataSource.Create(PostgresDsn.Parse(connectionString).ConnectionString);
        return new SqlAlertStore(dataSource.CreateConnection, postgres: true, dataSource);
    }

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        if (!_postgres)
        {
            // WAL survives a killed process without fsync on every commit; a power cut can lose the last ones.
            await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL", cancellationToken);
        }

        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (_postgres)
        {
            await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock(7471201)", cancellationToken);
        }

        await ExecuteAsync(connection, tx, "CREATE TABLE IF NOT EXISTS monitor_schema (version INTEGER NOT NULL)", cancellationToken);
        long version;
        await using (var command = Command(connection, tx, "SELECT MAX(version) FROM monitor_schema"))
        {
            object? value = await command.ExecuteScalarAsync(cancellationToken);
            version = value is null or DBNull ? 0 : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (version > Migrations.Length)
        {
            throw new InvalidOperationException($"the {Kind} store has schema version {version}, newer than this Monitor's {Migrations.Length}; upgrade Monitor");
        }

        for (long step = version; step < Migrations.Length; step++)
        {
            foreach (string sql in Migrations[step])
            {
                await ExecuteAsync(connection, tx, sql, cancellationToken);
            }

            await ExecuteAsync(connection, tx, "DELETE FROM monitor_schema", cancellationToken);
            await ExecuteAsync(connection, tx, $"INSERT INTO monitor_schema (version) VALUES ({step + 1})", cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "SELECT 1", cancellationToken);
    }

    public async Task<AlertBook> LoadAsync(CancellationToken cancellationToken)
    {
        var book = new AlertBook();
        await using var connection = await OpenAsync(cancellationToken);
        await foreach (var (_, data) in RowsAsync(connection, "SELECT fingerprint, data FROM alerts", cancellationToken))
        {
            var alert = StoreJson.Read<AlertRecord>(data);
            book.Alerts[alert.Key] = alert;
        }

        await foreach (var (_, data) in RowsAsync(connection, "SELECT group_key, data FROM alert_groups", cancellationToken))
        {
            var group = StoreJson.Read<GroupState>(data);
            book.Groups[group.Key] = group;
        }

        await foreach (var (_, data) in RowsAsync(connection, "SELECT id, data FROM silences", cancellationToken))
        {
            var silence = StoreJson.Read<Silence>(data);
            book.Silences[silence.Id] = silence;
        }

        return book;
    }

    public async Task SaveAsync(StoreChanges changes, CancellationToken cancellationToken)
    {
        if (changes.IsEmpty)
        {
            return;
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await FenceAsync(connection, tx, cancellationToken);
        long now = changes.At.ToUnixTimeMilliseconds();
        foreach (var (fingerprint, alert) in changes.Alerts)
        {
            await (alert is null
                ? ExecuteAsync(connection, tx, "DELETE FROM alerts WHERE fingerprint = @k", cancellationToken, ("k", fingerprint))
                : ExecuteAsync(connection, tx,
                    "INSERT INTO alerts (fingerprint, data, updated_at) VALUES (@k, @d, @u) ON CONFLICT (fingerprint) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                    cancellationToken, ("k", fingerprint), ("d", StoreJson.Write(alert)), ("u", now)));
        }

        foreach (var (key, group) in changes.Groups)
        {
            await (group is null
                ? ExecuteAsync(connection, tx, "DELETE FROM alert_groups WHERE group_key = @k", cancellationToken, ("k", key))
                : ExecuteAsync(connection, tx,
                    "INSERT INTO alert_groups (group_key, data, updated_at) VALUES (@k, @d, @u) ON CONFLICT (group_key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                    cancellationToken, ("k", key), ("d", StoreJson.Write(group)), ("u", now)));
        }

        foreach (var (id, silence) in changes.Silences)
        {
            await (silence is null
                ? ExecuteAsync(connection, tx, "DELETE FROM silences WHERE id = @k", cancellationToken, ("k", id))
                : ExecuteAsync(connection, tx,
                    "INSERT INTO silences (id, data, ends_at) VALUES (@k, @d, @e) ON CONFLICT (id) DO UPDATE SET data = excluded.data, ends_at = excluded.ends_at",
                    cancellationToken, ("k", id), ("d", StoreJson.Write(silence)), ("e", silence.EndsAt.ToUnixTimeMilliseconds())));
        }

        foreach (var notification in changes.Notifications)
        {
            await ExecuteAsync(connection, tx,
                "INSERT INTO outbox (id, receiver, severity, status, attempts, next_attempt_at, created_at, data) VALUES (@k, @r, @s, 'pending', 0, @n, @n, @d) ON CONFLICT (id) DO NOTHING",
                cancellationToken, ("k", notification.Id), ("r", notification.Receiver), ("s", (int)notification.Severity),
                ("n", notification.CreatedAt.ToUnixTimeMilliseconds()), ("d", StoreJson.Write(notification)));
        }

        foreach (var (name, at) in changes.Reports)
        {
            await ExecuteAsync(connection, tx,
                "INSERT INTO report_marks (name, last_at) VALUES (@k, @a) ON CONFLICT (name) DO UPDATE SET last_at = excluded.last_at",
                cancellationToken, ("k", name), ("a", at.ToUnixTimeMilliseconds()));
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> ReportMarksAsync(CancellationToken cancellationToken)
    {
        var marks = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT name, last_at FROM report_marks");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            marks[reader.GetString(0)] = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1));
        }

        return marks;
    }

    public async Task<IReadOnlyList<OutboxEntry>> PendingAsync(DateTimeOffset dueBy, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await EntriesAsync(connection,
            "SELECT data, status, attempts, next_attempt_at, last_error, delivered_at FROM outbox WHERE status = 'pending' AND next_attempt_at <= @due ORDER BY severity, next_attempt_at, id LIMIT @limit",
            cancellationToken, ("due", dueBy.ToUnixTimeMilliseconds()), ("limit", limit));
    }

    public async Task<IReadOnlyList<OutboxEntry>> FailuresAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await EntriesAsync(connection,
            "SELECT data, status, attempts, next_attempt_at, last_error, delivered_at FROM outbox WHERE last_error IS NOT NULL AND status <> 'delivered' ORDER BY created_at DESC LIMIT @limit",
            cancellationToken, ("limit", limit));
    }

    public async Task<int> QueueLengthAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'");
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task MarkDeliveredAsync(string id, int attempts, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            await FenceAsync(connection, tx, cancellationToken);
            await ExecuteAsync(connection, tx, "UPDATE outbox SET status = 'delivered', attempts = @a, delivered_at = @t WHERE id = @k", cancellationToken,
                ("k", id), ("a", attempts), ("t", at.ToUnixTimeMilliseconds()));
            await tx.CommitAsync(cancellationToken);
        }

        long ms = at.ToUnixTimeMilliseconds();
        if (ms - Interlocked.Read(ref _lastPrune) > 3_600_000)
        {
            Interlocked.Exchange(ref _lastPrune, ms);
            await ExecuteAsync(connection, null, "DELETE FROM outbox WHERE status <> 'pending' AND created_at < @cutoff", cancellationToken,
                ("cutoff", (at - DeliveredRetention).ToUnixTimeMilliseconds()));
        }
    }

    public async Task MarkFailedAsync(string id, int attempts, DateTimeOffset? nextAttempt, string error, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await FenceAsync(connection, tx, cancellationToken);
        await ExecuteAsync(connection, tx, "UPDATE outbox SET status = @s, attempts = @a, next_attempt_at = @n, last_error = @e WHERE id = @k", cancellationToken,
            ("k", id), ("s", nextAttempt is null ? "failed" : "pending"), ("a", attempts), ("n", (nextAttempt ?? DateTimeOffset.UnixEpoch).ToUnixTimeMilliseconds()), ("e", error));
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Refuses the transaction's writes unless the alerting lease still carries <see cref="Fence"/>'s owner and
    /// token. On PostgreSQL the lease row is read <c>FOR SHARE</c>, so a takeover (which updates it) waits for this
    /// transaction and then loads what it wrote, or this one sees the new token and writes nothing.
    /// </summary>
    private async Task FenceAsync(DbConnection connection, DbTransaction tx, CancellationToken cancellationToken)
    {
        if (Fence is not { } fence)
        {
            return;
        }

        await using var command = Command(connection, tx, "SELECT owner, token FROM leases WHERE name = 'alerting'" + (_postgres ? " FOR SHARE" : ""));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetString(0) != fence.Owner || reader.GetInt64(1) != fence.Token)
        {
            throw new LeaseFencedException($"the alerting lease has moved on from {fence.Owner} (token {fence.Token}); this replica no longer writes");
        }
    }

    public async Task<long?> AcquireLeaseAsync(string name, string owner, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // A renewal (same owner, not yet expired) keeps the token; any other acquisition raises it.
        await ExecuteAsync(connection, null,
            "INSERT INTO leases (name, owner, expires_at, token) VALUES (@n, @o, @e, 1) ON CONFLICT (name) DO UPDATE SET "
                + "token = CASE WHEN leases.owner = excluded.owner AND leases.expires_at >= @now THEN leases.token ELSE leases.token + 1 END, "
                + "owner = excluded.owner, expires_at = excluded.expires_at "
                + "WHERE leases.owner = excluded.owner OR leases.expires_at < @now",
            cancellationToken, ("n", name), ("o", owner), ("e", expiresAt.ToUnixTimeMilliseconds()), ("now", now.ToUnixTimeMilliseconds()));
        await using var command = Command(connection, null, "SELECT owner, token FROM leases WHERE name = @n", ("n", name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) && reader.GetString(0) == owner ? reader.GetInt64(1) : null;
    }

    /// <summary>Runs one statement outside the store's own operations (maintenance, and the contract tests).</summary>
    internal async Task RunSqlAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, sql, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _dataSource?.Dispose();
        if (!_postgres)
        {
            SqliteConnection.ClearAllPools();
        }

        return ValueTask.CompletedTask;
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = _connect();
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (!_postgres)
            {
                await ExecuteAsync(connection, null, "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000", cancellationToken);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async IAsyncEnumerable<(string Key, string Data)> RowsAsync(DbConnection connection, string sql, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (reader.GetString(0), reader.GetString(1));
        }
    }

    private static async Task<IReadOnlyList<OutboxEntry>> EntriesAsync(DbConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var entries = new List<OutboxEntry>();
        await using var command = Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.Default, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var status = reader.GetString(1) switch
            {
                "delivered" => OutboxStatus.Delivered,
                "failed" => OutboxStatus.Failed,
                _ => OutboxStatus.Pending,
            };
            entries.Add(new OutboxEntry(
                StoreJson.Read<Notification>(reader.GetString(0)),
                status,
                Convert.ToInt32(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture),
                DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(3), System.Globalization.CultureInfo.InvariantCulture)),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(5), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return entries;
    }
}
