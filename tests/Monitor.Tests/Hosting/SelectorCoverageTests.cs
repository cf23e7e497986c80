using System.Text.RegularExpressions;
using Monitor.Checks;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Rules.RuleFiles;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Hosting;

/// <summary>
/// check-config's warning about rule selectors no configured check produces: a rule copied from a setup with other
/// exporters (the OpenWebUI runbook's cpu_usage_rate) never fires, and nothing else says so.
/// </summary>
public sealed partial class SelectorCoverageTests
{
    /// <summary>The OpenWebUI runbook's rules as its team wrote them.</summary>
    private const string RunbookRules = """
        groups:
        - name: openwebui.rules
          rules:
          - alert: PodCrashLooping
            expr: rate(kube_pod_container_status_restarts_total[5m]) > 0
            for: 5m
          - alert: HighCPUUsage
            expr: (cpu_usage_rate > 80)
            for: 10m
          - alert: HighResponseTime
            expr: http_request_duration_seconds > 2
            for: 5m
        """;

    private static MonitorOptions Options(string checks)
    {
        var result = MonitorConfig.Parse("checks:\n" + checks, "monitor.yaml");
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return result.Options!;
    }

    private static List<string> Warnings(string checks, string rules, string file = "team.rules.yml")
    {
        var load = RuleFileLoader.Parse(rules, file);
        Assert.Empty(load.Errors);
        return [.. SelectorCoverage.Warnings(Options(checks), load.Groups).Select(w => w.ToString())];
    }

    [Fact]
    public void RunbookRules_NameTheSelectorsNoCheckProduces_AtTheirPlace()
    {
        var warnings = Warnings("  - name: cluster\n    kubernetes: { discovery: false }\n  - name: web\n    http: { url: \"http://openwebui/health\" }\n", RunbookRules);
        Assert.Equal(
            [
                "team.rules.yml:8:12: groups[0].rules[1].expr: rule HighCPUUsage selects cpu_usage_rate, which no configured check produces",
                "team.rules.yml:11:11: groups[0].rules[2].expr: rule HighResponseTime selects http_request_duration_seconds, which no configured check produces",
            ],
            warnings);
    }

    [Fact]
    public void AKindThatIsNotConfigured_DoesNotCount()
    {
        const string rules = "groups:\n- name: db\n  rules:\n  - alert: PostgresDown\n    expr: pg_up == 0\n  - alert: ServiceDown\n    expr: probe_success == 0\n";
        Assert.Equal(
            ["team.rules.yml:5:11: groups[0].rules[0].expr: rule PostgresDown selects pg_up, which no configured check produces"],
            Warnings("  - name: web\n    http: { url: \"http://x/\" }\n", rules));
        Assert.Empty(Warnings("  - name: web\n    http: { url: \"http://x/\" }\n  - name: db\n    postgres: { dsn: \"postgres://monitor@db:5432/postgres\" }\n", rules));
    }

    /// <summary>The shipped GPU rules on a machine without a GPU check: one warning for the file, not one per rule.</summary>
    [Fact]
    public void AFileNoneOfWhoseRulesCanFire_IsOneWarning()
    {
        var load = RuleFileLoader.Load(Repository.File("alerts/gpu.rules.yml"));
        Assert.Empty(load.Errors);
        var warning = Assert.Single(SelectorCoverage.Warnings(Options("  - name: disk\n    disk: {}\n"), load.Groups));
        Assert.Equal(
            $"{Repository.File("alerts/gpu.rules.yml")}:1:1: none of the 5 rules of this file can fire: no configured check produces what they select (nvidia_smi_temperature_gpu, nvidia_smi_utilization_gpu_ratio, nvidia_smi_memory_used_bytes, nvidia_smi_memory_total_bytes, nvidia_smi_ecc_errors_uncorrected_volatile_total)",
            warning.ToString());
        Assert.Empty(SelectorCoverage.Warnings(Options("  - name: gpus\n    nvidia_smi: {}\n"), load.Groups));
    }

    [Fact]
    public void FamiliesNamedAfterFields_AreMatchedByTheirPrefix()
    {
        const string rules = """
            groups:
            - name: g
              rules:
              - alert: A
                expr: node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.1 and node_network_receive_errs_total > 0
              - alert: B
                expr: increase(pg_stat_database_deadlocks[5m]) > 0 or pg_stat_database_conflicts_confl_lock > 0
              - alert: C
                expr: nvidia_smi_temperature_gpu > 85 or nvidia_smi_power_draw_watts > 300
            """;
        Assert.Empty(Warnings("  - name: host\n    host: {}\n  - name: db\n    postgres: { dsn: \"postgres://m@db/postgres\" }\n  - name: gpus\n    nvidia_smi: {}\n", rules));
        Assert.Single(Warnings("  - name: host\n    host: {}\n", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: node_memory_ > 0\n"));
    }

    [Fact]
    public void RecordedSeries_MonitorsOwnAndTheEnginesSeries_CountAsProduced()
    {
        const string rules = """
            groups:
            - name: g
              rules:
              - alert: UsesALaterRecording
                expr: job:probe_success:avg < 0.5
              - record: job:probe_success:avg
                expr: avg by (service) (probe_success)
              - alert: Self
                expr: monitor_config_last_reload_successful == 0 or rate(monitor_check_duration_seconds_count[5m]) > 100 or process_open_fds > 1000
              - alert: Meta
                expr: ALERTS{alertstate="firing"} > 0 or {__name__=~"anything_.*"}
            """;
        Assert.Empty(Warnings("  - name: web\n    http: { url: \"http://x/\" }\n", rules));
    }

    [Fact]
    public void OneWarningPerRuleAndName_AndRecordingRulesAreNamedAsSuch()
    {
        const string rules = "groups:\n- name: g\n  rules:\n  - record: r:x\n    expr: sum(cpu_usage_rate) / count(cpu_usage_rate)\n  - record: r:y\n    expr: '{__name__=\"cpu_usage_rate\"}'\n  - alert: Load\n    expr: node_load1 > 100\n";
        Assert.Equal(
            [
                "team.rules.yml:5:15: groups[0].rules[0].expr: recording rule r:x selects cpu_usage_rate, which no configured check produces",
                "team.rules.yml:7:12: groups[0].rules[1].expr: recording rule r:y selects cpu_usage_rate, which no configured check produces",
            ],
            Warnings("  - name: host\n    host: {}\n", rules));
    }

    [Fact]
    public void ScrapeCheck_ProducesWhatItsKeepAndDropLeave()
    {
        Assert.Empty(Warnings("  - name: app\n    scrape: { url: \"http://app:8000/metrics\" }\n", RunbookRules));
        Assert.Equal(
            ["team.rules.yml:11:11: groups[0].rules[2].expr: rule HighResponseTime selects http_request_duration_seconds, which no configured check produces"],
            Warnings("  - name: app\n    scrape: { url: \"http://app:8000/metrics\", keep: \"cpu_.*|kube_.*\" }\n", RunbookRules));
        Assert.Equal(
            ["team.rules.yml:8:12: groups[0].rules[1].expr: rule HighCPUUsage selects cpu_usage_rate, which no configured check produces"],
            Warnings("  - name: app\n    scrape: { url: \"http://app:8000/metrics\", drop: \"cpu_.*\" }\n", RunbookRules));
    }

    [Fact]
    public void KubernetesCheck_UsageKeepAndDiscovery()
    {
        const string rules = "groups:\n- name: g\n  rules:\n  - alert: FsFull\n    expr: container_fs_usage_bytes > 1e9\n  - alert: Probe\n    expr: probe_success == 0\n";
        // Discovery (on by default) turns annotated pods into scrape checks: a name may come from them, and the warning says so.
        Assert.Equal(
            ["team.rules.yml:5:11: groups[0].rules[0].expr: rule FsFull selects container_fs_usage_bytes, which no configured check produces, unless a scrape target (prometheus.io/scrape) that kubernetes check cluster discovers exposes it"],
            Warnings("  - name: cluster\n    kubernetes: {}\n", rules));
        // Without discovery there are no discovered http checks either: neither rule can fire.
        Assert.Contains("none of the 2 rules of this file can fire", Assert.Single(Warnings("  - name: cluster\n    kubernetes: { discovery: false }\n", rules)));
        // usage_keep decides which of the kubelet's families come in.
        Assert.Single(Warnings("  - name: cluster\n    kubernetes: { discovery: false, usage_keep: \"container_fs_.*\" }\n", rules));
        Assert.Contains("(container_fs_usage_bytes, probe_success)", Assert.Single(Warnings("  - name: cluster\n    kubernetes: { discovery: false, usage: false, usage_keep: \"container_fs_.*\" }\n", rules)));
    }

    [Fact]
    public async Task CheckConfig_PrintsTheWarningsOnStderr_AndTheConfigurationStaysValid()
    {
        string dir = Directory.CreateTempSubdirectory("monitor-coverage-").FullName;
        try
        {
            string rules = Path.Combine(dir, "team.rules.yml");
            File.WriteAllText(rules, RunbookRules);
            string config = Path.Combine(dir, "monitor.yaml");
            File.WriteAllText(config, "checks:\n  - name: cluster\n    kubernetes: { discovery: false }\nrule_files: [team.rules.yml]\n");
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.Equal(0, await CommandLine.RunAsync(["check-config", "--config", config], stdout, stderr));
            Assert.Equal("OK", stdout.ToString().Trim());
            Assert.Equal(
                [
                    $"warning: {rules}:8:12: groups[0].rules[1].expr: rule HighCPUUsage selects cpu_usage_rate, which no configured check produces",
                    $"warning: {rules}:11:11: groups[0].rules[2].expr: rule HighResponseTime selects http_request_duration_seconds, which no configured check produces",
                ],
                stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The rules shipped under alerts/ select only what Monitor's check kinds publish (one check of each kind, no scrape).</summary>
    [Fact]
    public void ShippedRules_SelectOnlyWhatTheCheckKindsPublish()
    {
        var options = Options("""
              - name: web
                http: { url: "http://127.0.0.1:1/health" }
              - name: port
                tcp: { address: "127.0.0.1:5432" }
              - name: db
                postgres: { dsn: "postgres://monitor@127.0.0.1:5432/postgres" }
              - name: gpus
                nvidia_smi: {}
              - name: disk
                disk: {}
              - name: host
                host: {}
              - name: cluster
                kubernetes: { discovery: false }
              - name: cache
                redis: { address: "127.0.0.1:6379" }
              - name: backups
                file: { path: "/var/backups/*.sql.gz" }
              - name: applog
                logs: { path: "/var/log/app/*.log", patterns: { error: "ERROR" } }
              - name: containers
                docker: {}

            """);
        Assert.DoesNotContain(options.Checks, c => c.Kind.Key == "scrape");
        Assert.Equal(CheckRegistry.Kinds.Count - 1, options.Checks.Select(c => c.Kind.Key).Distinct().Count());
        var groups = Directory.GetFiles(Repository.File("alerts"), "*.rules.yml").Order(StringComparer.Ordinal).SelectMany(f =>
        {
            var load = RuleFileLoader.Load(f);
            Assert.Empty(load.Errors);
            return load.Groups;
        }).ToList();
        Assert.NotEmpty(groups);
        Assert.Empty(SelectorCoverage.Warnings(options, groups));
    }

    /// <summary>
    /// Each kind's declared families hold every metric name its source files write, so a family added to a check
    /// without declaring it fails here rather than making check-config warn about a name the check does publish.
    /// </summary>
    [Fact]
    public void DeclaredFamilies_CoverEveryMetricNameInTheKindsSources()
    {
        var folders = new Dictionary<string, CheckKind>(StringComparer.Ordinal)
        {
            ["Disk"] = global::Monitor.Checks.Disk.DiskCheck.Kind,
            ["Docker"] = global::Monitor.Checks.Docker.DockerCheck.Kind,
            ["FileStat"] = global::Monitor.Checks.FileStat.FileStatCheck.Kind,
            ["Gpu"] = global::Monitor.Checks.Gpu.NvidiaSmiCheck.Kind,
            ["Host"] = global::Monitor.Checks.Host.HostCheck.Kind,
            ["Http"] = global::Monitor.Checks.Http.HttpCheck.Kind,
            ["Kubernetes"] = global::Monitor.Checks.Kubernetes.KubernetesCheck.Kind,
            ["Logs"] = global::Monitor.Checks.Logs.LogsCheck.Kind,
            ["Postgres"] = global::Monitor.Checks.Postgres.PostgresCheck.Kind,
            ["Redis"] = global::Monitor.Checks.Redis.RedisCheck.Kind,
            ["Scrape"] = global::Monitor.Checks.Scrape.ScrapeCheck.Kind,
            ["Tcp"] = global::Monitor.Checks.Tcp.TcpCheck.Kind,
        };
        Assert.Equal(CheckRegistry.Kinds.Count, folders.Count);
        // Label names, prefixes and file markers that look like metric names (redis_exporter's info labels, ksm's
        // container_id label, the file check's pg_dump_complete expectation, the postgres check's part names: the views it reads).
        var labels = new HashSet<string>(["redis_version", "redis_build_id", "redis_mode", "container_id", "pg_dump_complete", "redis_", "nvidia_smi_", "node_memory_", "pg_stat_database_", "pg_stat_database_conflicts_",
            "pg_stat_activity", "pg_database", "pg_settings", "pg_replication", "pg_locks", "pg_stat_statements"], StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var (folder, kind) in folders)
        {
            foreach (string file in Directory.GetFiles(Repository.File(Path.Combine("src", "Monitor", "Checks", folder)), "*.cs"))
            {
                foreach (Match m in MetricLiteral().Matches(File.ReadAllText(file)))
                {
                    string name = m.Groups[1].Value;
                    if (!labels.Contains(name) && !kind.Families.Contains(name) && !(folder == "Kubernetes" && KubeletUsageName(name)))
                    {
                        missing.Add($"{folder}: {name}");
                    }
                }
            }
        }

        Assert.True(missing.Count == 0, "metric names written by a check but not in its kind's Families:\n" + string.Join('\n', missing));
    }

    private static bool KubeletUsageName(string name) => global::Monitor.Checks.Kubernetes.KubeletUsage.DefaultKeep.IsMatch(name);

    [GeneratedRegex("\"((?:probe|node|pg|redis|nvidia_smi|kube|kubelet|container|monitor|file_stat)_[a-z0-9_]*)\"")]
    private static partial Regex MetricLiteral();
}
