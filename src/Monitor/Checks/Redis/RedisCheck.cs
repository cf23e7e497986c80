using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Monitor.Configuration;
using Monitor.Metrics;

namespace Monitor.Checks.Redis;

/// <summary>
/// redis_exporter's core series for one server from <c>INFO ALL</c> (and <c>CONFIG GET databases</c>, for the
/// zero-key databases the exporter also lists), read over one connection that each run opens and closes, as
/// the exporter does per scrape. Down, a refused login or a timeout is <c>redis_up 0</c> with a reason and
/// no other series, never an exception out of the check.
/// </summary>
internal sealed class RedisCheck : ICheck
{
    /// <summary>The <c>redis</c> kind: INFO under redis_exporter's names.</summary>
    /// <summary>Redis' default <c>databases</c>, which redis_exporter also assumes when CONFIG is not allowed.</summary>
    public const int DefaultDatabases = 16;

    /// <summary>The INFO fields published as plain series: INFO key, redis_exporter's name, counter or gauge.</summary>
    private static readonly (string Field, string Name, bool Counter)[] Mapped =
    [
        ("uptime_in_seconds", "redis_uptime_in_seconds", false),
        ("connected_clients", "redis_connected_clients", false),
        ("blocked_clients", "redis_blocked_clients", false),
        ("used_memory", "redis_memory_used_bytes", false),
        ("maxmemory", "redis_memory_max_bytes", false),
        ("mem_fragmentation_ratio", "redis_mem_fragmentation_ratio", false),
        ("rdb_changes_since_last_save", "redis_rdb_changes_since_last_save", false),
        ("rdb_last_save_time", "redis_rdb_last_save_timestamp_seconds", false),
        ("connected_slaves", "redis_connected_slaves", false),
        ("expired_keys", "redis_expired_keys_total", true),
        ("evicted_keys", "redis_evicted_keys_total", true),
        ("keyspace_hits", "redis_keyspace_hits_total", true),
        ("keyspace_misses", "redis_keyspace_misses_total", true),
    ];

    /// <summary>The metric families a redis check publishes (docs/metrics.md).</summary>
    public static readonly MetricFamilies Families = new([
        "redis_up", "redis_instance_info", "redis_db_keys", "redis_master_link_up", .. Mapped.Select(m => m.Name),
    ]);

    public static readonly CheckKind Kind = new("redis", RedisCheckOptions.Read, (options, context) => new RedisCheck(options, context.Scope), Families);

    private static readonly string[] InstanceInfoLabels = ["role", "redis_version", "redis_build_id", "redis_mode", "os", "maxmemory_policy", "tcp_port", "run_id", "process_id"];

    private readonly RedisCheckOptions _redis;
    private readonly SeriesScope _scope;
    private readonly SeriesGeneration _generation;
    private readonly Sample _up;

    public RedisCheck(CheckOptions options, SeriesScope scope)
    {
        Options = options;
        _redis = options.SettingsOf<RedisCheckOptions>();
        _scope = scope;
        _generation = new SeriesGeneration(scope);
        _up = scope.Gauge("redis_up", "Information about the Redis instance");
    }

    public CheckOptions Options { get; }

    public async Task<CheckResult> RunAsync(CancellationToken cancellationToken)
    {
        string info;
        int databases;
        try
        {
            (info, databases) = await ReadAsync(cancellationToken);
        }
        catch (Exception e) when (e is RespErrorException or ProbeException or TimeoutException or OperationCanceledException or IOException or System.Net.Sockets.SocketException)
        {
            _up.Set(0);
            _generation.Retain(SeriesGeneration.NewSet());
            return Classify(e, cancellationToken.IsCancellationRequested);
        }

        _generation.Retain(Publish(RedisInfo.Parse(info), databases));
        _up.Set(1);
        return CheckResult.Ok;
    }

    /// <summary>The series of one INFO answer; the set returned is every series this run published.</summary>
    internal HashSet<Series> Publish(RedisInfo info, int databases)
    {
        var published = SeriesGeneration.NewSet();
        void Set(Sample series, double value)
        {
            series.Set(value);
            published.Add(series);
        }

        foreach (var (field, name, counter) in Mapped)
        {
            if (info.Number(field) is { } value)
            {
                string help = name["redis_".Length..] + " metric";
                Set(counter ? _scope.Counter(name, help) : _scope.Gauge(name, help), value);
            }
        }

        // Every database up to CONFIG's count, 0 for those INFO leaves out (it lists only databases with keys).
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (db, keys) in info.Keyspace)
        {
            if (seen.Add(db))
            {
                Set(_scope.Gauge("redis_db_keys", "Total number of keys by DB", new Label("db", db)), keys);
            }
        }

        for (int i = 0; i < databases; i++)
        {
            string db = "db" + i.ToString(CultureInfo.InvariantCulture);
            if (seen.Add(db))
            {
                Set(_scope.Gauge("redis_db_keys", "Total number of keys by DB", new Label("db", db)), 0);
            }
        }

        Set(_scope.Gauge("redis_instance_info", "Information about the Redis instance", [.. InstanceInfoLabels.Select(l => new Label(l, info.Field(l)))]), 1);

        if (info.MasterLinkStatus is { } link)
        {
            Set(_scope.Gauge("redis_master_link_up", "Master link status on Redis slave", new("master_host", info.Field("master_host")), new("master_port", info.Field("master_port"))), link == "up" ? 1 : 0);
        }

        return published;
    }

    private async Task<(string Info, int Databases)> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await RespConnection.OpenAsync(_redis, ValidateServer, cancellationToken);
        if (_redis.Password is { } password)
        {
            string[] auth = _redis.Username is { } user ? ["AUTH", user, password.Reveal()] : ["AUTH", password.Reveal()];
            await connection.CommandAsync(cancellationToken, auth);
        }

        string info = await connection.CommandAsync(cancellationToken, "INFO", "ALL") as string ?? string.Empty;
        int databases = DefaultDatabases;
        try
        {
            if (await connection.CommandAsync(cancellationToken, "CONFIG", "GET", "databases") is object?[] { Length: 2 } config
                && config[1] is string count && int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                databases = n;
            }
        }
        catch (RespErrorException)
        {
            // An ACL user without +config (NOPERM), or CONFIG renamed away: the exporter then assumes 16 too.
        }

        return (info, databases);
    }

    private bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        ProbeNetwork.ValidateServerCertificate(_redis.InsecureSkipVerify, _redis.CertificateAuthority, certificate, errors);

    internal static CheckResult Classify(Exception e, bool timedOut)
    {
        if (timedOut || e is TimeoutException or OperationCanceledException)
        {
            return CheckResult.Fail(FailureReasons.Timeout, "timed out");
        }

        return e switch
        {
            // Never the reply text past its code: a server may echo what it was sent.
            RespErrorException { Code: "WRONGPASS" or "NOAUTH" } auth => CheckResult.Fail(FailureReasons.Auth, auth.Code == "NOAUTH"
                ? "authentication required: the server has a password and none is configured"
                : "authentication failed: wrong username or password (or the ACL user is disabled)"),
            RespErrorException { Code: "ERR" } err when err.Message.Contains("AUTH", StringComparison.Ordinal) || err.Message.Contains("password", StringComparison.OrdinalIgnoreCase) =>
                CheckResult.Fail(FailureReasons.Auth, "authentication failed: the server has no password set, or does not take a username (Redis < 6)"),
            RespErrorException { Code: "NOPERM" } perm => CheckResult.Fail(FailureReasons.Auth, $"the user may not run INFO: {perm.Message}"),
            RespErrorException err => CheckResult.Fail(FailureReasons.Query, err.Message),
            IOException io => CheckResult.Fail(FailureReasons.Connect, $"connection lost: {io.Message}"),
            _ => ProbeNetwork.Classify(e, timedOut),
        };
    }

    public void Dispose()
    {
    }
}
