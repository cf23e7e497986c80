using System.Net;
using System.Net.Sockets;
using Monitor.Checks;
using Monitor.Checks.Redis;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Checks.Redis;

public class RedisCheckTests
{
    /// <summary>A Redis 7.0 INFO ALL answer, trimmed to the sections the check reads, of a replica with keys in db0 and db3.</summary>
    private const string ReplicaInfo =
        "# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_build_id:c4e0a4b0e7bd64e1\r\nredis_mode:standalone\r\nos:Linux 6.1.0-18-amd64 x86_64\r\n" +
        "process_id:4242\r\nrun_id:0123456789abcdef0123456789abcdef01234567\r\ntcp_port:6380\r\nuptime_in_seconds:3725\r\n\r\n" +
        "# Clients\r\nconnected_clients:7\r\nblocked_clients:2\r\n\r\n" +
        "# Memory\r\nused_memory:1048576\r\nmaxmemory:2097152\r\nmaxmemory_policy:allkeys-lru\r\nmem_fragmentation_ratio:3.25\r\n\r\n" +
        "# Persistence\r\nrdb_changes_since_last_save:12\r\nrdb_last_save_time:1714000000\r\n\r\n" +
        "# Stats\r\nexpired_keys:5\r\nevicted_keys:1\r\nkeyspace_hits:100\r\nkeyspace_misses:9\r\n\r\n" +
        "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.5\r\nmaster_port:6379\r\nmaster_link_status:down\r\nconnected_slaves:0\r\n\r\n" +
        "# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\ndb3:keys=40,expires=0,avg_ttl=0\r\n";

    private static CheckOptions Options(RedisCheckOptions redis, TimeSpan? timeout = null) =>
        new() { Name = "cache", Kind = RedisCheck.Kind, Settings = redis, Interval = TimeSpan.FromSeconds(30), Timeout = timeout ?? TimeSpan.FromSeconds(5), Labels = new Dictionary<string, string> { ["team"] = "ops" } };

    private static RedisCheckOptions At(int port) => new() { Address = $"127.0.0.1:{port}", Host = "127.0.0.1", Port = port };

    [Fact]
    public void Publish_ReplicaInfo_RedisExporterNamesLabelsAndTypes()
    {
        var store = new SeriesStore();
        using var scope = new SeriesScope(store, "cache", new Dictionary<string, string> { ["team"] = "ops" });
        var check = new RedisCheck(Options(At(6380)), scope);
        check.Publish(RedisInfo.Parse(ReplicaInfo), databases: 4);
        var s = Exposition.Samples(store);
        const string b = "check=\"cache\",team=\"ops\"";
        Assert.Equal("3725", s[$"redis_uptime_in_seconds{{{b}}}"]);
        Assert.Equal("7", s[$"redis_connected_clients{{{b}}}"]);
        Assert.Equal("2", s[$"redis_blocked_clients{{{b}}}"]);
        Assert.Equal("1048576", s[$"redis_memory_used_bytes{{{b}}}"]);
        Assert.Equal("2097152", s[$"redis_memory_max_bytes{{{b}}}"]);
        Assert.Equal("3.25", s[$"redis_mem_fragmentation_ratio{{{b}}}"]);
        Assert.Equal("12", s[$"redis_rdb_changes_since_last_save{{{b}}}"]);
        Assert.Equal("1714000000", s[$"redis_rdb_last_save_timestamp_seconds{{{b}}}"]);
        Assert.Equal("5", s[$"redis_expired_keys_total{{{b}}}"]);
        Assert.Equal("1", s[$"redis_evicted_keys_total{{{b}}}"]);
        Assert.Equal("100", s[$"redis_keyspace_hits_total{{{b}}}"]);
        Assert.Equal("9", s[$"redis_keyspace_misses_total{{{b}}}"]);
        Assert.Equal("0", s[$"redis_connected_slaves{{{b}}}"]);
        Assert.Equal("3", s[$"redis_db_keys{{{b},db=\"db0\"}}"]);
        Assert.Equal("0", s[$"redis_db_keys{{{b},db=\"db1\"}}"]);
        Assert.Equal("0", s[$"redis_db_keys{{{b},db=\"db2\"}}"]);
        Assert.Equal("40", s[$"redis_db_keys{{{b},db=\"db3\"}}"]);
        Assert.DoesNotContain($"redis_db_keys{{{b},db=\"db4\"}}", s.Keys);
        Assert.Equal("0", s[$"redis_master_link_up{{{b},master_host=\"10.0.0.5\",master_port=\"6379\"}}"]);
        Assert.Equal("1", s[$"redis_instance_info{{{b},role=\"slave\",redis_version=\"7.0.15\",redis_build_id=\"c4e0a4b0e7bd64e1\",redis_mode=\"standalone\",os=\"Linux 6.1.0-18-amd64 x86_64\",maxmemory_policy=\"allkeys-lru\",tcp_port=\"6380\",run_id=\"0123456789abcdef0123456789abcdef01234567\",process_id=\"4242\"}}"]);

        string text = Exposition.Text(store);
        Assert.Contains("# TYPE redis_keyspace_hits_total counter", text);
        Assert.Contains("# HELP redis_keyspace_hits_total keyspace_hits_total metric", text);
        Assert.Contains("# TYPE redis_uptime_in_seconds gauge", text);
        Assert.Contains("# HELP redis_uptime_in_seconds uptime_in_seconds metric", text);
        Assert.Contains("# HELP redis_db_keys Total number of keys by DB", text);
        Assert.Contains("# HELP redis_master_link_up Master link status on Redis slave", text);
    }

    [Fact]
    public void Publish_Primary_HasNoMasterLinkSeries()
    {
        var store = new SeriesStore();
        using var scope = new SeriesScope(store, "cache", new Dictionary<string, string>());
        var check = new RedisCheck(Options(At(6379)), scope);
        check.Publish(RedisInfo.Parse("# Replication\nrole:master\nconnected_slaves:2\nmaster_host:ignored\n"), databases: 16);
        var s = Exposition.Samples(store);
        Assert.DoesNotContain(s.Keys, k => k.StartsWith("redis_master_link_up", StringComparison.Ordinal));
        Assert.Equal("2", s["redis_connected_slaves{check=\"cache\"}"]);
        Assert.Equal(16, s.Keys.Count(k => k.StartsWith("redis_db_keys{", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Run_NothingListening_IsUpZeroConnectionRefused()
    {
        int port = FreePort.Get();
        var store = new SeriesStore();
        using var scope = new SeriesScope(store, "cache", new Dictionary<string, string>());
        using var check = new RedisCheck(Options(At(port)), scope);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.False(result.Success);
        Assert.True(FailureReasons.ConnectionRefused == result.Reason, result.Error);
        Assert.Equal("0", Exposition.Samples(store)["redis_up{check=\"cache\"}"]);
    }

    [Fact]
    public async Task Run_ServerNeverAnswers_TimesOutWithinTheTimeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            while (true)
            {
                accepted.Add(await listener.AcceptSocketAsync());
            }
        });
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var store = new SeriesStore();
        using var scope = new SeriesScope(store, "cache", new Dictionary<string, string>());
        using var check = new RedisCheck(Options(At(port), TimeSpan.FromMilliseconds(800)), scope);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(800));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = await check.RunAsync(cts.Token);
        Assert.Equal(FailureReasons.Timeout, result.Reason);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
        Assert.Equal("0", Exposition.Samples(store)["redis_up{check=\"cache\"}"]);
        listener.Stop();
        foreach (var socket in accepted)
        {
            socket.Dispose();
        }
    }

    private static ConfigLoadResult Parse(string redis, Dictionary<string, string>? env = null, Func<string, string>? readFile = null) =>
        MonitorConfig.Parse(
            $"checks:\n  - name: cache\n    redis: {redis}\n",
            "monitor.yaml",
            name => (env ?? []).TryGetValue(name, out var v) ? v : null,
            readFile ?? (p => throw new FileNotFoundException($"no such file {p}")));

    [Fact]
    public void Read_PasswordFromEnvOrFile_AndAclUser()
    {
        var result = Parse("{ address: \"redis:6379\", username: monitor, password: \"${REDIS_PW}\" }", new() { ["REDIS_PW"] = "s3cret" });
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var redis = result.Options!.Checks[0].SettingsOf<RedisCheckOptions>();
        Assert.Equal(("redis", 6379, "monitor", "s3cret"), (redis.Host, redis.Port, redis.Username, redis.Password!.Reveal()));
        Assert.Equal("redis:6379", redis.Target);

        result = Parse("{ address: \"[::1]:6380\", password_file: /run/secrets/redis }", readFile: p => p == "/run/secrets/redis" ? "from-file\n" : throw new FileNotFoundException(p));
        Assert.True(result.Success, string.Join("\n", result.Errors));
        redis = result.Options!.Checks[0].SettingsOf<RedisCheckOptions>();
        Assert.Equal(("::1", 6380, "from-file"), (redis.Host, redis.Port, redis.Password!.Reveal()));
        Assert.Null(redis.Username);
    }

    [Theory]
    [InlineData("{ address: redis }", "monitor.yaml:3:23: checks[0].redis.address: invalid address \"redis\" (expected host:port, e.g. redis:6379)")]
    [InlineData("{ address: \"redis:0\" }", "monitor.yaml:3:23: checks[0].redis.address: invalid address")]
    [InlineData("{ port: 6379 }", "monitor.yaml:3:12: checks[0].redis.address: required")]
    [InlineData("{ address: \"r:1\", username: monitor }", "monitor.yaml:3:30: checks[0].redis.username: an ACL user needs password or password_file")]
    [InlineData("{ address: \"r:1\", ca_file: ca.pem }", "monitor.yaml:3:30: checks[0].redis.ca_file: needs tls: true")]
    [InlineData("{ address: \"r:1\", insecure_skip_verify: true }", "monitor.yaml:3:30: checks[0].redis.insecure_skip_verify: needs tls: true")]
    [InlineData("{ address: \"r:1\", tls: true, ca_file: ca.pem }", "monitor.yaml:3:50: checks[0].redis.ca_file: cannot read CA file \"ca.pem\"")]
    [InlineData("{ address: \"r:1\", passwd: x }", "monitor.yaml:3:30: checks[0].redis: unknown key \"passwd\"")]
    [InlineData("{ address: \"r:1\", password: x, password_file: f }", "checks[0].redis.password_file: give either password or password_file, not both")]
    public void Read_Invalid_NamesFileLineColumnAndField(string redis, string expected)
    {
        var errors = Parse(redis).Errors.Select(e => e.ToString()).ToList();
        Assert.True(errors.Any(e => e.Contains(expected, StringComparison.Ordinal)), string.Join("\n", errors));
    }

    [Theory]
    [InlineData("WRONGPASS invalid username-password pair or user is disabled.", "auth")]
    [InlineData("NOAUTH Authentication required.", "auth")]
    [InlineData("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?", "auth")]
    [InlineData("NOPERM this user has no permissions to run the 'info' command", "auth")]
    [InlineData("LOADING Redis is loading the dataset in memory", "query")]
    public void Classify_ErrorReplies(string reply, string reason)
    {
        var result = RedisCheck.Classify(new RespErrorException(reply), timedOut: false);
        Assert.Equal(reason, result.Reason);
    }
}
