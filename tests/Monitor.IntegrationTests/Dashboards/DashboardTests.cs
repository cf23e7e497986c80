using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.Checks.Kubernetes;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Dashboards;

/// <summary>
/// The Grafana dashboards in grafana-dashboards/: a sound JSON model (unique uids, every panel and target on the
/// <c>${datasource}</c> variable, every variable used defined, nothing hard-coded to one instance), and every
/// PromQL target, with its variables substituted as Grafana would, answered by a real Prometheus 2.42 that scrapes
/// a real Monitor running the checks the dashboards draw (HTTP, HTTPS, TCP, disk, host, PostgreSQL 15 with
/// pg_stat_statements, an nvidia-smi stand-in, DCGM exporter through a scrape check, the Kubernetes API stand-in),
/// with one alert fired, acknowledged and resolved and another left firing: every query parses, and every target
/// returns data except the panels in <see cref="NoDataHere"/>.
/// </summary>
public sealed partial class DashboardTests
{
    private const string ApiToken = "dashboard-token-1";

    /// <summary>
    /// Panels ("uid/title") that cannot have data in this test, and why; docs/dashboards.md lists the same. Empty:
    /// every panel of every dashboard returns data here.
    /// </summary>
    internal static readonly Dictionary<string, string> NoDataHere = new(StringComparer.Ordinal)
    {
    };

    /// <summary>What Grafana puts for its own variables when the test evaluates a query (a 1 s scrape interval, a short range).</summary>
    private static readonly Dictionary<string, string> GrafanaVariables = new(StringComparer.Ordinal)
    {
        ["__rate_interval"] = "30s",
        ["__interval"] = "15s",
        ["__interval_ms"] = "15000",
        ["__range"] = "10m",
        ["__range_s"] = "600",
        ["__range_ms"] = "600000",
    };

    private static readonly string[] Dashboards = ["monitor-overview", "monitor-alerts", "monitor-postgresql", "monitor-gpu", "monitor-hosts", "monitor-kubernetes", "monitor-self"];

    private sealed record Target(string Dashboard, string Panel, string RefId, string Expr);

    private sealed record Variable(string Name, string Query);

    private sealed record Model(string File, JsonElement Root, List<JsonElement> Panels, List<Variable> Variables, List<Target> Targets);

    private static List<Model> LoadAll()
    {
        var models = new List<Model>();
        foreach (string file in Directory.GetFiles(Repository.File("grafana-dashboards"), "*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            var root = document.RootElement.Clone();
            var panels = new List<JsonElement>();
            foreach (var panel in root.GetProperty("panels").EnumerateArray())
            {
                panels.Add(panel);
                if (panel.TryGetProperty("panels", out var nested))
                {
                    panels.AddRange(nested.EnumerateArray());
                }
            }

            var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray()
                .Where(v => v.GetProperty("type").GetString() == "query")
                .Select(v => new Variable(v.GetProperty("name").GetString()!, v.GetProperty("query").ValueKind == JsonValueKind.String ? v.GetProperty("query").GetString()! : v.GetProperty("query").GetProperty("query").GetString()!))
                .ToList();
            string uid = root.GetProperty("uid").GetString()!;
            var targets = panels.Where(p => p.TryGetProperty("targets", out _))
                .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => new Target(uid, p.GetProperty("title").GetString()!, t.GetProperty("refId").GetString()!, t.GetProperty("expr").GetString()!)))
                .ToList();
            models.Add(new Model(Path.GetFileName(file), root, panels, variables, targets));
        }

        return models;
    }

    [GeneratedRegex(@"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")]
    private static partial Regex VariableReference();

    /// <summary>A label that names one machine or target, matched against a literal instead of a variable.</summary>
    [GeneratedRegex("""\b(instance|job|node|Hostname|hostname|host|pod|nodename|uuid|UUID)\s*(=~|!~|=|!=)\s*"(?!\$)[^"]+"|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|localhost""")]
    private static partial Regex HardCodedTarget();

    [GeneratedRegex(@"^label_values\((.+),\s*(\w+)\)$")]
    private static partial Regex LabelValues();

    [Fact]
    public void Dashboards_AreSoundGrafanaModels_OnTheDatasourceVariable_WithNothingHardCoded()
    {
        var models = LoadAll();
        Assert.Equal(Dashboards.Order(StringComparer.Ordinal), models.Select(m => m.Root.GetProperty("uid").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(models.Count, models.Select(m => m.Root.GetProperty("title").GetString()).Distinct().Count());
        foreach (var model in models)
        {
            var root = model.Root;
            string uid = root.GetProperty("uid").GetString()!;
            Assert.True(model.File == uid + ".json", $"{model.File}: the file is named after its uid {uid}");
            Assert.Equal(39, root.GetProperty("schemaVersion").GetInt32());
            Assert.False(root.TryGetProperty("id", out var id) && id.ValueKind != JsonValueKind.Null, $"{uid}: an exported dashboard has no id (Grafana assigns it on import)");
            Assert.Contains("monitor", root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            Assert.Contains(root.GetProperty("links").EnumerateArray(), l => l.GetProperty("type").GetString() == "dashboards"
                && l.GetProperty("tags").EnumerateArray().Any(t => t.GetString() == "monitor") && l.GetProperty("includeVars").GetBoolean() && l.GetProperty("keepTime").GetBoolean());

            var templating = root.GetProperty("templating").GetProperty("list").EnumerateArray().ToList();
            var datasource = Assert.Single(templating, v => v.GetProperty("type").GetString() == "datasource");
            Assert.Equal("datasource", datasource.GetProperty("name").GetString());
            Assert.Equal("prometheus", datasource.GetProperty("query").GetString());
            var defined = templating.Select(v => v.GetProperty("name").GetString()!).ToHashSet(StringComparer.Ordinal);
            Assert.Equal(templating.Count, defined.Count);
            Assert.Contains("instance", defined);
            foreach (var variable in templating.Where(v => v.GetProperty("type").GetString() == "query"))
            {
                string name = variable.GetProperty("name").GetString()!;
                AssertOnDatasourceVariable(variable, $"{uid}: variable {name}");
                string query = model.Variables.Single(v => v.Name == name).Query;
                Assert.Matches(LabelValues(), query);
                Assert.True(variable.GetProperty("includeAll").GetBoolean() && variable.GetProperty("allValue").GetString() == ".*", $"{uid}: variable {name} offers All as .*");
                AssertNoHardCodedTarget(query, $"{uid}: variable {name}");
                AssertDefined(query, defined, $"{uid}: variable {name}");
            }

            var used = new HashSet<string>(StringComparer.Ordinal);
            var ids = new HashSet<int>();
            foreach (var panel in model.Panels)
            {
                string title = panel.GetProperty("title").GetString()!;
                string where = $"{uid}/{title}";
                Assert.True(ids.Add(panel.GetProperty("id").GetInt32()), $"{where}: panel id repeated");
                Assert.True(panel.TryGetProperty("gridPos", out var grid) && grid.GetProperty("w").GetInt32() > 0 && grid.GetProperty("h").GetInt32() > 0, $"{where}: no gridPos");
                AssertOnDatasourceVariable(panel, where);
                AssertDefined(title, defined, where);
                if (panel.GetProperty("type").GetString() == "row")
                {
                    continue;
                }

                Assert.False(string.IsNullOrWhiteSpace(panel.GetProperty("description").GetString()), $"{where}: no description");
                var targets = panel.GetProperty("targets").EnumerateArray().ToList();
                Assert.NotEmpty(targets);
                Assert.Equal(targets.Count, targets.Select(t => t.GetProperty("refId").GetString()).Distinct().Count());
                foreach (var target in targets)
                {
                    AssertOnDatasourceVariable(target, $"{where} {target.GetProperty("refId").GetString()}");
                    string expr = target.GetProperty("expr").GetString()!;
                    Assert.False(string.IsNullOrWhiteSpace(expr), $"{where}: empty expr");
                    AssertNoHardCodedTarget(expr, where);
                    AssertDefined(expr, defined, where);
                    Assert.Contains("$instance", expr, StringComparison.Ordinal);
                    foreach (Match m in VariableReference().Matches(expr))
                    {
                        used.Add(Name(m));
                    }
                }

                var defaults = panel.GetProperty("fieldConfig").GetProperty("defaults");
                Assert.True(defaults.TryGetProperty("thresholds", out var thresholds) && thresholds.GetProperty("steps").GetArrayLength() > 0, $"{where}: no thresholds");
            }

            foreach (var variable in model.Variables)
            {
                foreach (Match m in VariableReference().Matches(variable.Query))
                {
                    used.Add(Name(m));
                }
            }

            var unused = defined.Except(used).Where(v => v != "datasource").ToList();
            Assert.True(unused.Count == 0, $"{uid}: variables defined but never used: {string.Join(", ", unused)}");
        }

        // Every exemption names a panel that exists.
        var titles = models.SelectMany(m => m.Panels.Select(p => m.Root.GetProperty("uid").GetString() + "/" + p.GetProperty("title").GetString())).ToHashSet(StringComparer.Ordinal);
        var unknown = NoDataHere.Keys.Where(k => !titles.Contains(k)).ToList();
        Assert.True(unknown.Count == 0, $"exempted panels that do not exist: {string.Join(", ", unknown)}");

        // The 80 % / 90 % lines and the 2 s latency line are drawn where they apply.
        var all = models.SelectMany(m => m.Panels).Where(p => p.GetProperty("type").GetString() != "row").ToList();
        Assert.Contains(all, p => Steps(p).Contains(0.8) && Steps(p).Contains(0.9));
        Assert.Contains(all, p => p.GetProperty("title").GetString() == "HTTP probe latency by phase" && Steps(p).Contains(2));
    }

    private static string Name(Match m) => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value;

    private static List<double> Steps(JsonElement panel) =>
        panel.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("thresholds").GetProperty("steps").EnumerateArray()
            .Where(s => s.GetProperty("value").ValueKind == JsonValueKind.Number).Select(s => s.GetProperty("value").GetDouble()).ToList();

    private static void AssertOnDatasourceVariable(JsonElement element, string where)
    {
        Assert.True(element.TryGetProperty("datasource", out var ds) && ds.ValueKind == JsonValueKind.Object, $"{where}: no datasource");
        Assert.True(ds.GetProperty("uid").GetString() == "${datasource}", $"{where}: datasource uid {ds.GetProperty("uid")} is not ${{datasource}}");
        Assert.True(ds.GetProperty("type").GetString() == "prometheus", $"{where}: datasource type {ds.GetProperty("type")}");
    }

    private static void AssertNoHardCodedTarget(string text, string where)
    {
        var match = HardCodedTarget().Match(text);
        Assert.False(match.Success, $"{where}: hard-coded \"{match.Value}\" in {text}");
    }

    private static void AssertDefined(string text, HashSet<string> defined, string where)
    {
        foreach (Match m in VariableReference().Matches(text))
        {
            string name = Name(m);
            Assert.True(defined.Contains(name) || GrafanaVariables.ContainsKey(name), $"{where}: ${name} is not defined, in {text}");
        }
    }

    /// <summary>Replaces each variable reference as Grafana interpolates it for Prometheus.</summary>
    private static string Substitute(string text, IReadOnlyDictionary<string, string> values) =>
        VariableReference().Replace(text, m =>
        {
            string name = Name(m);
            return GrafanaVariables.TryGetValue(name, out string? builtIn) ? builtIn
                : values.TryGetValue(name, out string? value) ? value
                : throw new InvalidOperationException($"${name} has no value");
        });

    /// <summary>A multi-value selection as Grafana writes it into a regex matcher: (a|b), regex characters escaped, inside a PromQL string.</summary>
    private static string RegexSelection(IEnumerable<string> values) =>
        "(" + string.Join("|", values.Select(v => Regex.Escape(v).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal))) + ")";

    [Fact]
    public async Task EveryPanelQuery_ParsesOnPrometheus_AndReturnsData_FromARealMonitor()
    {
        var models = LoadAll();
        string dir = Tools.TempDirectory();
        await using var targets = await TargetServer.StartAsync();
        await using var tlsTargets = await TargetServer.StartAsync(TargetServer.SelfSigned(TimeSpan.FromDays(30)));
        await using var sink = await RecordingSink.StartAsync();
        await using var dcgm = await RecordingSink.StartAsync();
        string dcgmText = await File.ReadAllTextAsync(Repository.Fixture("dcgm", "dcgm-exporter-3xH100.txt"));
        dcgm.Respond = _ => Task.FromResult<(int, string, IDictionary<string, string>?)>((200, dcgmText, new Dictionary<string, string> { ["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8" }));
        await using var api = await KubeApiStandIn.StartAsync();
        string tokenFile = Path.Combine(dir, "token");
        await File.WriteAllTextAsync(tokenFile, api.Token);
        string kubeconfig = api.WriteKubeconfig(dir, tokenFile);
        using var flappy = new TcpToggle();
        flappy.Flip(); // down: its alert fires, is acknowledged, and resolves when it comes back
        await using var postgres = await PostgresServer.StartAsync();
        await ExerciseAsync(postgres);

        string nvidiaSmi = Path.Combine(dir, "nvidia-smi");
        await File.WriteAllTextAsync(nvidiaSmi, $"#!/bin/sh\nexec cat '{Repository.Fixture("nvidia-smi", "nvidia-smi-2xH100.csv")}'\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(nvidiaSmi, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "rules.yml"), """
            groups:
              - name: probes
                rules:
                  - alert: ProbeDown
                    expr: probe_success == 0
                    labels: { severity: error }
              - name: broken
                interval: 10s
                rules:
                  # fails at every evaluation (many-to-one without group_left), for the rule-failure panel
                  - record: broken:many_to_one
                    expr: vector(1) * on() (label_replace(vector(1), "a", "1", "", "") or label_replace(vector(1), "a", "2", "", ""))
            """);
        await using var monitor = await MonitorProcess.StartAsync($$"""
            server:
              api_token: {{ApiToken}}
            defaults: { interval: 1s, timeout: 1s }
            checks:
              - { name: web, http: { url: "{{targets.Url("/ok")}}" }, labels: { service: shop } }
              - { name: web-tls, http: { url: "{{tlsTargets.Url("/ok")}}", insecure_skip_verify: true }, labels: { service: shop } }
              - { name: checkout, http: { url: "{{targets.Url("/fail")}}" }, labels: { service: shop } }
              - { name: shop-port, tcp: { address: "{{targets.BaseUri.Authority}}" }, labels: { service: shop } }
              - { name: payments, tcp: { address: "127.0.0.1:{{flappy.Port}}" }, labels: { service: payments } }
              - { name: disks, disk: {}, labels: { service: infra } }
              - { name: host, host: {}, interval: 2s, timeout: 2s, labels: { service: infra } }
              - name: db
                interval: 3s
                timeout: 3s
                labels: { service: db }
                postgres: { dsn: "{{postgres.Dsn("postgres")}}", statements: true }
              - { name: gpus, nvidia_smi: { path: "{{nvidiaSmi}}" }, interval: 2s, timeout: 2s, labels: { service: ml } }
              - { name: dcgm, scrape: { url: "{{dcgm.Url("/metrics")}}" }, interval: 2s, timeout: 2s, labels: { service: ml } }
              - name: cluster
                interval: 3s
                timeout: 3s
                kubernetes: { kubeconfig: "{{kubeconfig}}", discovery: false, namespaces: ["*"] }
            rule_files: [rules.yml]
            evaluation_interval: 1s
            severities:
              P1: { notify: [pager] }
              P2: { notify: [pager] }
              P3: { notify: [pager] }
              P4: { notify: [pager] }
            routing: { group_by: [alertname, check], group_wait: 0s, group_interval: 1s }
            receivers:
              - { name: pager, webhook: { url: "{{sink.Url("/pager")}}" } }
            """, directory: dir);
        using var prometheus = await PrometheusServer.StartAsync($$"""
              - job_name: monitor
                static_configs: [ { targets: ["127.0.0.1:{{monitor.Port}}"] } ]
            """);
        string Diagnostics() => $"Monitor (end):\n{Tail(monitor.Output)}\nPrometheus (end):\n{Tail(prometheus.Output)}";

        // The payments alert fires, is acknowledged, and resolves once the port is back; checkout's stays firing.
        string fingerprint = await FiringAlertAsync(monitor, "payments");
        using (var ack = new HttpRequestMessage(HttpMethod.Post, new Uri(monitor.BaseUri, $"/api/v1/alerts/{fingerprint}/ack")))
        {
            ack.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiToken);
            ack.Content = new StringContent("""{"by":"dashboard-test"}""", Encoding.UTF8, "application/json");
            using var answer = await monitor.Http.SendAsync(ack);
            Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
        }

        flappy.Up();
        await Eventually.HoldsAsync(
            async () => (await MetricSamples.ReadAsync(monitor)).Sum("monitor_alert_time_to_resolve_seconds_count") >= 1,
            TimeSpan.FromSeconds(30),
            () => "the acknowledged alert should resolve\n" + Diagnostics());
        await Eventually.HoldsAsync(
            async () => (await prometheus.QueryAsync("monitor_alert_time_to_resolve_seconds_count > 0")).Count > 0
                && (await prometheus.QueryAsync("monitor_alert_time_to_ack_seconds_count > 0")).Count > 0,
            TimeSpan.FromSeconds(20),
            () => "Prometheus should have scraped the acknowledgement and the resolution\n" + Diagnostics());

        // Every target, once with every variable at All (.*) and once with every value selected, must parse; all but
        // the listed panels must return data. Rates need two scrapes of the newest series, so this is waited for.
        var problems = new List<string>();
        await Eventually.HoldsAsync(
            async () =>
            {
                problems.Clear();

                // Each dashboard's variables as Grafana resolves them, in order (a variable's query may use those before
                // it); again on every try, as series a check publishes late (a slow first run) add values.
                var selections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
                foreach (var model in models)
                {
                    string uid = model.Root.GetProperty("uid").GetString()!;
                    var chosen = selections[uid] = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var variable in model.Variables)
                    {
                        var values = await LabelValuesAsync(prometheus, Substitute(variable.Query, chosen));
                        if (values.Count == 0)
                        {
                            problems.Add($"{uid}: variable {variable.Name} ({variable.Query}) has no values");
                            values = ["no-value"];
                        }

                        chosen[variable.Name] = RegexSelection(values);
                    }
                }

                foreach (var target in models.SelectMany(m => m.Targets))
                {
                    var all = selections[target.Dashboard].ToDictionary(v => v.Key, _ => ".*", StringComparer.Ordinal);
                    foreach (var (mode, values) in new[] { ("All", all), ("every value", selections[target.Dashboard]) })
                    {
                        string query = Substitute(target.Expr, values);
                        var (ok, count, error) = await InstantQueryAsync(prometheus, query);
                        if (!ok)
                        {
                            problems.Add($"{target.Dashboard}/{target.Panel} {target.RefId} ({mode}): does not parse: {error}\n    {query}");
                        }
                        else if (count == 0 && !NoDataHere.ContainsKey($"{target.Dashboard}/{target.Panel}"))
                        {
                            problems.Add($"{target.Dashboard}/{target.Panel} {target.RefId} ({mode}): no data\n    {query}");
                        }
                    }
                }

                return problems.Count == 0;
            },
            TimeSpan.FromSeconds(45),
            () => Diagnostics() + $"\n{problems.Count} problems:\n{string.Join("\n", problems)}");
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];

    /// <summary>Work for the PostgreSQL panels: a commit, a rollback, a temp file, statements for pg_stat_statements.</summary>
    private static async Task ExerciseAsync(PostgresServer postgres)
    {
        await using var connection = postgres.Connect("app");
        await connection.OpenAsync();
        foreach (string sql in new[]
        {
            "CREATE TABLE orders (id int PRIMARY KEY, total numeric)",
            "INSERT INTO orders SELECT i, i * 1.5 FROM generate_series(1, 2000) i",
            "SET work_mem = '64kB'",
            "SELECT count(*) FROM (SELECT * FROM generate_series(1, 100000) g ORDER BY g DESC) s",
            "BEGIN",
            "INSERT INTO orders VALUES (0, 0)",
            "ROLLBACK",
        })
        {
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private static async Task<string> FiringAlertAsync(MonitorProcess monitor, string check)
    {
        string? fingerprint = null;
        await Eventually.HoldsAsync(
            async () =>
            {
                using var document = JsonDocument.Parse(await monitor.GetStringAsync("/api/v1/alerts"));
                fingerprint = document.RootElement.GetProperty("alerts").EnumerateArray()
                    .Where(a => a.GetProperty("state").GetString() == "firing" && a.GetProperty("labels").TryGetProperty("check", out var c) && c.GetString() == check)
                    .Select(a => a.GetProperty("fingerprint").GetString())
                    .FirstOrDefault();
                return fingerprint is not null;
            },
            TimeSpan.FromSeconds(30),
            () => $"no firing alert for {check}\n{monitor.Output}");
        return fingerprint!;
    }

    /// <summary>label_values(selector, label) as Grafana's Prometheus data source runs it: the label's values among the selector's series.</summary>
    private static async Task<List<string>> LabelValuesAsync(PrometheusServer prometheus, string query)
    {
        var match = LabelValues().Match(query);
        Assert.True(match.Success, query);
        string json = await prometheus.Http.GetStringAsync(new Uri(prometheus.BaseUri, "/api/v1/series?match[]=" + Uri.EscapeDataString(match.Groups[1].Value)));
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("data").EnumerateArray()
            .Select(s => s.TryGetProperty(match.Groups[2].Value, out var v) ? v.GetString()! : "")
            .Where(v => v.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static async Task<(bool Ok, int Count, string Error)> InstantQueryAsync(PrometheusServer prometheus, string query)
    {
        using var answer = await prometheus.Http.GetAsync(new Uri(prometheus.BaseUri, "/api/v1/query?query=" + Uri.EscapeDataString(query)));
        using var document = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            return (false, 0, root.TryGetProperty("error", out var error) ? error.GetString()! : answer.StatusCode.ToString());
        }

        var data = root.GetProperty("data");
        int count = data.GetProperty("resultType").GetString() is "vector" or "matrix" ? data.GetProperty("result").GetArrayLength() : 1;
        return (true, count, "");
    }

    /// <summary>docs/dashboards.md names every dashboard's uid and file, and lists the panels without data here.</summary>
    [Fact]
    public void Docs_NameEveryDashboard_AndThePanelsWithoutDataHere()
    {
        string docs = File.ReadAllText(Repository.File("docs/dashboards.md"));
        foreach (string uid in Dashboards)
        {
            Assert.Contains($"`{uid}`", docs, StringComparison.Ordinal);
            Assert.Contains($"grafana-dashboards/{uid}.json", docs, StringComparison.Ordinal);
        }

        foreach (string panel in NoDataHere.Keys)
        {
            Assert.Contains(panel.Split('/', 2)[1], docs, StringComparison.Ordinal);
        }

    }
}
