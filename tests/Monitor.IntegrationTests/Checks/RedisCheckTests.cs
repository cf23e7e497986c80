using System.Globalization;
using Monitor.Checks;
using Monitor.Checks.Redis;
using Monitor.Checks.Scrape;
using Monitor.Configuration;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Metrics;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Checks;

/// <summary>The redis check against Debian's redis-server 7.0 (a primary and its replica) and redis_exporter 1.45 in the same run.</summary>
public sealed class RedisCheckTests : IAsyncLifetime
{
    /// <summary>The families the check publishes; the comparison is over these.</summary>
    private static readonly HashSet<string> Families =
    [
        "redis_up", "redis_instance_info", "redis_uptime_in_seconds", "redis_connected_clients", "redis_blocked_clients",
        "redis_memory_used_bytes", "redis_memory_max_bytes", "redis_mem_fragmentation_ratio", "redis_keyspace_hits_total",
        "redis_keyspace_misses_total", "redis_evicted_keys_total", "redis_expired_keys_total", "redis_db_keys",
        "redis_rdb_last_save_timestamp_seconds", "redis_rdb_changes_since_last_save", "redis_connected_slaves", "redis_master_link_up",
    ];

    private RedisServer _primary = null!;
    private RedisServer _replica = null!;

    public async Task InitializeAsync()
    {
        _primary = await RedisServer.StartAsync();
        _replica = await RedisServer.StartAsync(_primary);
    }

    public async Task DisposeAsync()
    {
        _replica.Dispose();
        _primary.Dispose();
        await Task.CompletedTask;
    }

    private static (RedisCheck Check, SeriesStore Store) Check(RedisServer server, string? user = null, string? password = RedisServer.Password)
    {
        var store = new SeriesStore();
        var settings = new RedisCheckOptions { Address = server.Address, Host = "127.0.0.1", Port = server.Port, Username = user, Password = password is null ? null : new Secret(password) };
        var options = new CheckOptions { Name = "cache", Kind = RedisCheck.Kind, Settings = settings, Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(10), Labels = new Dictionary<string, string> { ["team"] = "ops" } };
        return (new RedisCheck(options, new SeriesScope(store, "cache", options.Labels)), store);
    }

    private static ExternalProcess Exporter(RedisServer server, int port, string? user = null, string password = RedisServer.Password)
    {
        List<string> args = [$"-redis.addr=redis://{server.Address}", $"-web.listen-address=127.0.0.1:{port}", "-redis.password=" + password];
        if (user is not null)
        {
            args.Add("-redis.user=" + user);
        }

        return new ExternalProcess(Tools.Require("prometheus-redis-exporter", "prometheus-redis-exporter"), args);
    }

    private async Task Load()
    {
        for (int i = 0; i < 25; i++)
        {
            await _primary.CommandAsync("SET", $"k{i}", new string('x', 100 + i));
        }

        await _primary.CommandAsync("EXPIRE", "k0", "3600");
        await _primary.CommandAsync("SELECT", "3");
        await _primary.CommandAsync("GET", "k1");
        await _primary.CommandAsync("GET", "missing");
        await _primary.CommandAsync("SET", "short", "gone", "PX", "1");
        await Eventually.HoldsAsync(async () => Convert.ToInt64(await _primary.CommandAsync("DBSIZE"), CultureInfo.InvariantCulture) == 25, TimeSpan.FromSeconds(10), () => "short-lived key not expired");

        // The replica has the keys: the link is up and the initial sync is done.
        await Eventually.HoldsAsync(async () => (await _replica.CommandAsync("INFO", "replication") as string ?? string.Empty).Contains("master_link_status:up", StringComparison.Ordinal) && Convert.ToInt64(await _replica.CommandAsync("DBSIZE"), CultureInfo.InvariantCulture) == 25, TimeSpan.FromSeconds(30), () => _replica.Output);
    }

    /// <summary>
    /// Every sample redis_exporter publishes in the check's families exists in Monitor's output with the same
    /// label set (less <c>check</c> and the check's labels) and the same value: values that stand still exactly
    /// (between Monitor's reads before and after the exporter's), the ones that move within a stated tolerance.
    /// Every family Monitor publishes, the exporter publishes too.
    /// </summary>
    [Fact]
    public async Task Compare_WithRedisExporter145_PrimaryAndReplica_SameFamiliesLabelsAndValues()
    {
        await Load();
        int compared = 0;
        foreach (var (server, role) in new[] { (_primary, "master"), (_replica, "slave") })
        {
            int port = FreePort.Get();
            using var exporter = Exporter(server, port);
            using var http = new HttpClient();
            var uri = new Uri($"http://127.0.0.1:{port}/metrics");
            await Eventually.HoldsAsync(async () => (await http.GetStringAsync(uri)).Contains("redis_up 1", StringComparison.Ordinal), TimeSpan.FromSeconds(30), () => exporter.Output);

            var (check, store) = Check(server);
            var r1 = await check.RunAsync(CancellationToken.None);
            Assert.True(r1.Success, r1.Error);
            var before = Index(ExpositionParser.Parse(Exposition.Text(store), openMetrics: false));
            var theirs = Index(ExpositionParser.Parse(await http.GetStringAsync(uri), openMetrics: false));
            Assert.True((await check.RunAsync(CancellationToken.None)).Success);
            var after = Index(ExpositionParser.Parse(Exposition.Text(store), openMetrics: false));

            foreach (string family in before.Keys)
            {
                Assert.True(theirs.ContainsKey(family), $"{role}: Monitor publishes {family}; redis_exporter does not");
            }

            foreach (var (family, (type, samples)) in theirs.Where(f => Families.Contains(f.Key)))
            {
                Assert.True(before.TryGetValue(family, out var ours), $"{role}: redis_exporter publishes {family}; Monitor does not");
                Assert.Equal(type, ours.Type);
                Assert.Equal(samples.Count, ours.Samples.Count);
                foreach (var (labels, value) in samples)
                {
                    string key = string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"));
                    var a = ours.Samples.Where(s => Same(s.Labels, labels)).Select(s => s.Value).ToList();
                    var b = after[family].Samples.Where(s => Same(s.Labels, labels)).Select(s => s.Value).ToList();
                    Assert.True(a.Count == 1 && b.Count == 1, $"{role}: {family}{{{key}}} has no sample with exactly these labels in Monitor's output: {string.Join(" ", ours.Samples.Select(s => "{" + string.Join(",", s.Labels.Select(l => $"{l.Key}={l.Value}")) + "}"))}");
                    double lo = Math.Min(a[0], b[0]), hi = Math.Max(a[0], b[0]);
                    string what = $"{role}: {family}{{{key}}}: Monitor {a[0]} then {b[0]}, exporter {value}";
                    switch (family)
                    {
                        case "redis_uptime_in_seconds":
                            Assert.True(value >= lo - 1 && value <= hi + 1, what); // whole seconds, read at different instants
                            break;
                        case "redis_connected_clients":
                            Assert.True(Math.Abs(value - a[0]) <= 1 || Math.Abs(value - b[0]) <= 1, what); // the reader's own connection, and the replica's
                            break;
                        case "redis_memory_used_bytes":
                            Assert.True(Math.Abs(value - a[0]) <= 128 * 1024 || Math.Abs(value - b[0]) <= 128 * 1024, what); // client buffers of the readers
                            break;
                        case "redis_mem_fragmentation_ratio":
                            Assert.True(Math.Abs(value - a[0]) <= 0.5 * a[0] || Math.Abs(value - b[0]) <= 0.5 * b[0], what); // RSS over used memory: both move
                            break;
                        default:
                            Assert.True(value >= lo && value <= hi, what);
                            break;
                    }

                    compared++;
                }
            }

            var s = Exposition.Samples(store);
            Assert.Contains(s.Keys, k => k.StartsWith("redis_instance_info{check=\"cache\",team=\"ops\",role=\"" + role + "\"", StringComparison.Ordinal));
            Assert.Equal("25", s["redis_db_keys{check=\"cache\",team=\"ops\",db=\"db0\"}"]);
            Assert.Equal("0", s["redis_db_keys{check=\"cache\",team=\"ops\",db=\"db7\"}"]);
            if (role == "slave")
            {
                Assert.Equal("1", s[$"redis_master_link_up{{check=\"cache\",team=\"ops\",master_host=\"127.0.0.1\",master_port=\"{_primary.Port}\"}}"]);
            }
            else
            {
                Assert.Equal("1", s["redis_connected_slaves{check=\"cache\",team=\"ops\"}"]);
            }
        }

        Assert.True(compared >= 2 * 20, $"only {compared} samples compared");
    }

    private static bool Same(Dictionary<string, string> ours, Dictionary<string, string> theirs) =>
        ours.Count == theirs.Count && theirs.All(t => ours.TryGetValue(t.Key, out var v) && v == t.Value);

    /// <summary>Families by name, each sample's labels less <c>check</c> and the check's <c>team</c>.</summary>
    private static Dictionary<string, (MetricType Type, List<(Dictionary<string, string> Labels, double Value)> Samples)> Index(List<ParsedFamily> families) =>
        families.Where(f => Families.Contains(f.Name)).ToDictionary(
            f => f.Name,
            f => (f.Type, f.Samples.Select(s => (s.Labels.Where(l => l.Name is not ("check" or "team")).ToDictionary(l => l.Name, l => l.Value), s.Value)).ToList()));

    [Fact]
    public async Task Run_AclUser_ReadsInfoWithOnlyInfoConfigGetAndPing()
    {
        var (check, store) = Check(_primary, RedisServer.MonitorUser, RedisServer.MonitorPassword);
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Success, result.Error);
        var s = Exposition.Samples(store);
        Assert.Equal("1", s["redis_up{check=\"cache\",team=\"ops\"}"]);
        Assert.Equal("0", s["redis_db_keys{check=\"cache\",team=\"ops\",db=\"db7\"}"]); // CONFIG GET databases allowed: 8, not the default 16
        Assert.DoesNotContain("redis_db_keys{check=\"cache\",team=\"ops\",db=\"db8\"}", s.Keys);

        // The exporter logs in as the same user and sees the same.
        int port = FreePort.Get();
        using var exporter = Exporter(_primary, port, RedisServer.MonitorUser, RedisServer.MonitorPassword);
        using var http = new HttpClient();
        await Eventually.HoldsAsync(async () => (await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"))).Contains("redis_up 1", StringComparison.Ordinal), TimeSpan.FromSeconds(30), () => exporter.Output);
    }

    [Fact]
    public async Task Run_WrongPasswordOrNone_IsUpZeroAuth_AsTheExporterSaysDown()
    {
        var (wrong, store) = Check(_primary, password: "not-the-password");
        var result = await wrong.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Auth, result.Reason);
        Assert.DoesNotContain("not-the-password", result.Error);
        var s = Exposition.Samples(store);
        Assert.Equal("0", s["redis_up{check=\"cache\",team=\"ops\"}"]);
        Assert.DoesNotContain(s.Keys, k => k.StartsWith("redis_uptime_in_seconds", StringComparison.Ordinal));

        var (none, _) = Check(_primary, password: null);
        result = await none.RunAsync(CancellationToken.None);
        Assert.Equal(FailureReasons.Auth, result.Reason);
        Assert.Contains("none is configured", result.Error);

        var (wrongUser, _) = Check(_primary, RedisServer.MonitorUser, "wrong");
        Assert.Equal(FailureReasons.Auth, (await wrongUser.RunAsync(CancellationToken.None)).Reason);

        int port = FreePort.Get();
        using var exporter = Exporter(_primary, port, password: "not-the-password");
        using var http = new HttpClient();
        await Eventually.HoldsAsync(async () => (await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"))).Contains("redis_up 0", StringComparison.Ordinal), TimeSpan.FromSeconds(30), () => exporter.Output);
    }

    [Fact]
    public async Task Run_ServerStopped_IsUpZeroConnectionRefused_AndTheSeriesGo()
    {
        var (check, store) = Check(_replica);
        Assert.True((await check.RunAsync(CancellationToken.None)).Success);
        Assert.Contains("redis_uptime_in_seconds{check=\"cache\",team=\"ops\"}", Exposition.Samples(store).Keys);
        await _replica.StopAsync();
        var result = await check.RunAsync(CancellationToken.None);
        Assert.True(result.Reason == FailureReasons.ConnectionRefused, $"{result.Reason}: {result.Error}");
        var s = Exposition.Samples(store);
        Assert.Equal("0", s["redis_up{check=\"cache\",team=\"ops\"}"]);
        Assert.DoesNotContain(s.Keys, k => k.StartsWith("redis_uptime_in_seconds", StringComparison.Ordinal) || k.StartsWith("redis_db_keys", StringComparison.Ordinal));
    }
}
