using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Monitor.Configuration;
using Monitor.Metrics;
using StackExchange.Redis;

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
    public static readonly CheckKind Kind = new("redis", RedisCheckOptions.Read, (options, context) => new RedisCheck(options, context.Scope));

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
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException or IOException or System.Net.Sockets.SocketException or ProbeException)
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
        var connecting = ConnectionMultiplexer.ConnectAsync(Configuration(), log: null);
        ConnectionMultiplexer connection;
        try
        {
            connection = await connecting.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The connect goes on in the library: close whatever it ends with.
            _ = connecting.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }

        await using (connection)
        {
            var server = connection.GetServer(connection.GetEndPoints()[0]);
            var reply = await server.ExecuteAsync("INFO", "ALL").WaitAsync(cancellationToken);
            string info = reply.ToString() ?? string.Empty;
            int databases = DefaultDatabases;
            try
            {
                var config = await server.ExecuteAsync("CONFIG", "GET", "databases").WaitAsync(cancellationToken);
                if (config.Resp2Type == ResultType.Array && (string[]?)config is [_, var count] && int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                {
                    databases = n;
                }
            }
            catch (RedisServerException)
            {
                // An ACL user without +config: the exporter then assumes Redis' default of 16 too.
            }

            return (info, databases);
        }
    }

    private ConfigurationOptions Configuration()
    {
        int timeoutMs = (int)Math.Clamp(Options.Timeout.TotalMilliseconds, 1, int.MaxValue);
        var config = new ConfigurationOptions
        {
            EndPoints = { { _redis.Host, _redis.Port } },
            User = _redis.Username,
            Password = _redis.Password?.Reveal(),
            Ssl = _redis.Tls,
            SslHost = _redis.Tls ? _redis.Host : null,
            AbortOnConnectFail = true,
            ConnectRetry = 1,
            ConnectTimeout = timeoutMs,
            SyncTimeout = timeoutMs,
            AsyncTimeout = timeoutMs,
            AllowAdmin = true,
            ClientName = "monitor",
            Protocol = RedisProtocol.Resp2,

            // One connection: no subscription connection (no pub/sub commands), no configuration channel and
            // no tie-breaker key read.
            CommandMap = CommandMap.Create(new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE", "SSUBSCRIBE", "SUNSUBSCRIBE" }, available: false),
            ConfigurationChannel = string.Empty,
            TieBreaker = string.Empty,
            IncludeDetailInExceptions = false,
        };
        if (_redis.Tls)
        {
            config.CertificateValidation += ValidateServer;
        }

        return config;
    }

    private bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_redis.InsecureSkipVerify)
        {
            return true;
        }

        if (_redis.CertificateAuthority is not { Count: > 0 } authority || certificate is null)
        {
            return errors == SslPolicyErrors.None;
        }

        // Trust exactly the configured CA; the host name must still match.
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(authority);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return custom.Build(new X509Certificate2(certificate));
    }

    internal static CheckResult Classify(Exception e, bool timedOut)
    {
        if (timedOut || e is TimeoutException or RedisTimeoutException or OperationCanceledException)
        {
            return CheckResult.Fail(FailureReasons.Timeout, "timed out");
        }

        string all = Describe(e);
        if (e is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }
            || all.Contains("WRONGPASS", StringComparison.Ordinal) || all.Contains("NOAUTH", StringComparison.Ordinal)
            || all.Contains("invalid password", StringComparison.OrdinalIgnoreCase) || all.Contains("invalid username-password", StringComparison.OrdinalIgnoreCase))
        {
            return CheckResult.Fail(FailureReasons.Auth, "authentication failed (wrong username or password, or none given)");
        }

        if (e is RedisServerException)
        {
            return CheckResult.Fail(FailureReasons.Query, e.Message);
        }

        if (all.Contains("Connection refused", StringComparison.OrdinalIgnoreCase) || all.Contains("ConnectionRefused", StringComparison.Ordinal))
        {
            return CheckResult.Fail(FailureReasons.ConnectionRefused, "connection refused");
        }

        if (all.Contains("Name or service not known", StringComparison.OrdinalIgnoreCase) || all.Contains("No such host", StringComparison.OrdinalIgnoreCase)
            || all.Contains("Resource temporarily unavailable", StringComparison.OrdinalIgnoreCase))
        {
            return CheckResult.Fail(FailureReasons.Dns, "the name did not resolve");
        }

        if (all.Contains("Authentication", StringComparison.Ordinal) && all.Contains("SSL", StringComparison.OrdinalIgnoreCase)
            || all.Contains("certificate", StringComparison.OrdinalIgnoreCase) || all.Contains("RemoteCertificate", StringComparison.Ordinal))
        {
            return CheckResult.Fail(FailureReasons.Tls, "the TLS handshake or certificate validation failed");
        }

        if (e is RedisConnectionException rce)
        {
            return CheckResult.Fail(rce.FailureType == ConnectionFailureType.UnableToConnect && all.Contains("timeout", StringComparison.OrdinalIgnoreCase) ? FailureReasons.Timeout : FailureReasons.Connect, Summary(e));
        }

        return ProbeNetwork.Classify(e, timedOut);
    }

    private static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
        {
            parts.Add($"{x.GetType().Name}: {x.Message}");
            if (x is AggregateException agg)
            {
                parts.AddRange(agg.InnerExceptions.Select(Describe));
            }
        }

        return string.Join(" | ", parts);
    }

    /// <summary>The library's first line, without its connection-string echo.</summary>
    private static string Summary(Exception e) => e.Message.Split('\n')[0].Trim();

    public void Dispose()
    {
    }
}
