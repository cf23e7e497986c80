using System.Text.Json;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Hosting;
using Monitor.Rules.RuleFiles;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests.Alerting;

/// <summary>
/// Severity levels as data: the built-in P1–P4, a team's own levels (the OpenWebUI team's P0–P3), unknown names as
/// check-config errors at their place, and what the webhook does with a name no check-config saw.
/// </summary>
public class SeverityPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private const string Receivers = """
        receivers:
          - { name: pager, webhook: { url: "http://hooks/pager" } }
          - { name: slack, webhook: { url: "http://hooks/slack" } }
          - { name: email, webhook: { url: "http://hooks/email" } }
          - { name: lead, webhook: { url: "http://hooks/lead" } }
        """;

    /// <summary>The OpenWebUI team's levels: P0 most urgent, each with its aliases.</summary>
    private const string OpenWebUi = """
        severities:
          levels:
            - { name: P0, aliases: [critical, sev0] }
            - { name: P1, aliases: [error] }
            - { name: P2, aliases: [warning] }
            - { name: P3, aliases: [info] }
          P0: { ack_within: 5m, notify: [pager, slack], repeat: 10m }
          P3: { notify: [email], resolve_within: off }
        escalation:
          P0: [ { after: 0s, notify: [lead] } ]
        routing:
          group_wait: 30s
        """;

    private static ConfigLoadResult Parse(string yaml) => MonitorConfig.Parse(yaml + "\n" + Receivers, "monitor.yaml");

    private static MonitorOptions Options(string yaml)
    {
        var result = Parse(yaml);
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return result.Options!;
    }

    private static AlertRecord Alert(string name, string severity, SeverityLevels levels, DateTimeOffset firedAt)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = name, ["severity"] = severity, ["service"] = "api" };
        return new AlertRecord
        {
            Fingerprint = Fingerprint.Of(labels),
            Origin = AlertOrigin.Rule,
            Labels = labels,
            Severity = AlertRecord.SeverityOf(labels, levels, out _),
            Status = AlertStatus.Firing,
            ActiveAt = firedAt,
            FiredAt = firedAt,
        };
    }

    [Fact]
    public void BuiltIn_IsP1ToP4_WithTodaysAliases_AndUnknownIsP3()
    {
        var levels = Options("").Levels;
        Assert.Equal(["P1", "P2", "P3", "P4"], levels.All.Select(s => s.Name));
        Assert.True(levels.TryParse("Critical", out var p1));
        Assert.Equal(Severity.P1, p1);
        Assert.True(levels.TryParse("info", out var p4));
        Assert.Equal(Severity.P4, p4);
        Assert.False(levels.TryParse("P0", out _));
        Assert.Equal(Severity.P3, levels.Unknown);
    }

    [Fact]
    public void TeamLevels_P0ToP3_AreReadInOrder_WithAliases_AndPositionalDefaults()
    {
        var options = Options(OpenWebUi);
        Assert.Equal(["P0", "P1", "P2", "P3"], options.Levels.All.Select(s => s.Name));
        Assert.True(options.Levels.TryParse("sev0", out var p0));
        Assert.Equal("P0", p0.Name);
        Assert.Equal(1, p0.Rank);
        Assert.True(options.Levels.TryParse("P1", out var p1));
        Assert.Equal(2, p1.Rank);
        Assert.NotEqual(Severity.P1, p1); // the team's P1 is its second level, not the built-in P1

        Assert.Equal(TimeSpan.FromMinutes(5), options.Severities[p0].AckWithin);
        Assert.Equal(TimeSpan.FromMinutes(30), options.Severities[p1].AckWithin); // second level: P2's default
        var p3 = options.Levels.All[3];
        Assert.Null(options.Severities[p3].ResolveWithin);
        Assert.Equal(p3, options.Levels.Unknown); // the least urgent, unless unknown_as says otherwise
        Assert.Equal(TimeSpan.Zero, options.Escalation[p0][0].After);
    }

    [Fact]
    public void P0Alert_IsRoutedAsP0_NotSilentlyP3()
    {
        var options = Options(OpenWebUi);
        var policy = new AlertPolicy(options);
        var alert = Alert("ApiDown", "P0", options.Levels, T0);
        var book = new AlertBook();
        book.Alerts[alert.Key] = alert;

        var decision = DecisionCore.Decide(book, policy, T0, new SequentialIds());
        Assert.Equal(["lead"], decision.Notifications.Select(n => n.Receiver)); // after: 0s is immediate, before group_wait
        Assert.All(decision.Notifications, n => Assert.Equal("P0", n.Severity.Name));
        book.Apply(decision.Changes);

        decision = DecisionCore.Decide(book, policy, T0 + TimeSpan.FromSeconds(30), new SequentialIds());
        Assert.Equal(["pager", "slack"], decision.Notifications.Select(n => n.Receiver).Order());
        Assert.StartsWith("P0/", Assert.Single(book.Groups.Keys));
    }

    [Fact]
    public void SeverityKeyNamingNoLevel_IsAnErrorAtTheKey()
    {
        var errors = Parse("""
            severities:
              levels: [P0, P1]
              P4: { ack_within: 1h }
            escalation:
              P9: [ { after: 5m, notify: [lead] } ]
            """).Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("monitor.yaml:3:3: severities: unknown key \"P4\" (allowed: P0, P1, levels, unknown_as)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("monitor.yaml:5:3: escalation: unknown key \"P9\" (allowed: P0, P1)", StringComparison.Ordinal));
    }

    [Fact]
    public void RouteAndInhibitMatchers_OnSeverity_MustNameALevel()
    {
        var errors = Parse("""
            routing:
              routes:
                - match: { severity: P0 }
                  notify: [pager]
            inhibit:
              - source: { severity: critical }
                target: { severity: urgent }
            """).Errors.Select(e => e.ToString()).ToList();
        Assert.Equal(
        [
            "monitor.yaml:3:26: routing.routes[0].match.severity: \"P0\" names no severity level (levels: P1, P2, P3, P4)",
            "monitor.yaml:7:25: inhibit[0].target.severity: \"urgent\" names no severity level (levels: P1, P2, P3, P4)",
        ], errors);
        Assert.True(Parse("severities:\n  levels: [{ name: P0, aliases: [sev0] }, P1]\nrouting:\n  routes:\n    - match: { severity: sev0 }\n      notify: [pager]\n").Success);
    }

    [Fact]
    public void DuplicateLevel_AndUnknownUnknownAs_AreErrors()
    {
        var errors = Parse("""
            severities:
              levels: [P0, { name: P1, aliases: [p0] }]
              unknown_as: P7
            """).Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("monitor.yaml:2:38: severities.levels[1].aliases[0]: \"p0\" already names a severity level", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("monitor.yaml:3:15: severities.unknown_as: \"P7\" is no severity level", StringComparison.Ordinal));
    }

    [Fact]
    public void RuleWithSeverityNamingNoLevel_IsACheckConfigError_AtTheLabel()
    {
        const string rules = """
            groups:
              - name: api
                rules:
                  - alert: ApiDown
                    expr: up == 0
                    labels:
                      severity: P0
                  - alert: ApiSlow
                    expr: up == 0
                    labels:
                      severity: "{{ $labels.level }}"
                  - alert: ApiFlaky
                    expr: up == 0
                    labels:
                      severity: critical
            """;
        var builtIn = RuleFileLoader.Parse(rules, "api.rules.yml", SeverityLevels.BuiltIn);
        var error = Assert.Single(builtIn.Errors);
        Assert.Equal("api.rules.yml:7:21: groups[0].rules[0].labels.severity: \"P0\" names no severity level (levels: P1, P2, P3, P4; the config's severities.levels defines them)", error.ToString());

        var team = RuleFileLoader.Parse(rules, "api.rules.yml", Options(OpenWebUi).Levels);
        Assert.Empty(team.Errors); // P0 and the alias critical are the team's; a templated severity is checked when it fires

        Assert.Empty(RuleFileLoader.Parse(rules, "api.rules.yml").Errors); // rule files alone (monitor test rules) know no config
    }

    [Fact]
    public async Task CheckConfig_ReportsTheRulesUnknownSeverity_AtItsPlace_AndAcceptsTheTeamsLevels()
    {
        string dir = Directory.CreateTempSubdirectory("monitor-severity-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "api.rules.yml"), "groups:\n  - name: api\n    rules:\n      - alert: ApiDown\n        expr: up == 0\n        labels: { severity: P0 }\n");
            string config = Path.Combine(dir, "monitor.yaml");
            File.WriteAllText(config, "rule_files: [api.rules.yml]\n");
            var stdout = new StringWriter();
            Assert.Equal(1, await CommandLine.RunAsync(["check-config", "--config", config], stdout, new StringWriter()));
            Assert.Equal($"{Path.Combine(dir, "api.rules.yml")}:6:29: groups[0].rules[0].labels.severity: \"P0\" names no severity level (levels: P1, P2, P3, P4; the config's severities.levels defines them)", stdout.ToString().Trim());

            File.WriteAllText(config, "rule_files: [api.rules.yml]\nseverities:\n  levels: [P0, P1, P2, P3]\n");
            stdout = new StringWriter();
            Assert.Equal(0, await CommandLine.RunAsync(["check-config", "--config", config], stdout, new StringWriter()));
            Assert.Equal("OK", stdout.ToString().Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void WebhookAlert_WithUnknownSeverity_GetsUnknownAs_AndIsReportedForTheLog()
    {
        var levels = Options(OpenWebUi).Levels;
        var incoming = new IncomingAlert("abc", false, new Dictionary<string, string> { ["alertname"] = "DiskFull", ["severity"] = "urgent" }, new Dictionary<string, string>(), T0, null, null);
        var step = AlertLifecycle.Ingest(new AlertBook(), [incoming], T0, levels);
        var alert = Assert.Single(step.Changes.Alerts.Values)!;
        Assert.Equal("P3", alert.Severity.Name);
        var (name, label, given) = Assert.Single(step.UnknownSeverities);
        Assert.Equal(("DiskFull", "urgent", "P3"), (name, label, given.Name));

        var chosen = Options("severities:\n  levels: [P0, P1, P2, P3]\n  unknown_as: P1\n").Levels;
        Assert.Equal("P1", AlertLifecycle.Ingest(new AlertBook(), [incoming], T0, chosen).Changes.Alerts.Values.Single()!.Severity.Name);
        Assert.Equal(Severity.P3, AlertLifecycle.Ingest(new AlertBook(), [incoming], T0).Changes.Alerts.Values.Single()!.Severity);
    }

    [Fact]
    public void StoredSeverity_BuiltInKeepsTheEnumsForm_TeamLevelKeepsItsRank()
    {
        Assert.Equal("\"p1\"", JsonSerializer.Serialize(Severity.P1, StoreJson.Options));
        Assert.Equal(Severity.P4, JsonSerializer.Deserialize<Severity>("\"p4\"", StoreJson.Options));
        var p0 = new Severity("P0", 1);
        string json = JsonSerializer.Serialize(p0, StoreJson.Options);
        Assert.Equal("{\"name\":\"P0\",\"rank\":1}", json);
        Assert.Equal(p0, JsonSerializer.Deserialize<Severity>(json, StoreJson.Options));

        // A stored alert keeps its team level and its hold times.
        var alert = Alert("ApiDown", "P0", Options(OpenWebUi).Levels, T0);
        alert.HeldAt = T0;
        alert.ReleasedAt = T0 + TimeSpan.FromHours(6);
        string stored = StoreJson.Write(alert);
        Assert.DoesNotContain("clock_start", stored, StringComparison.Ordinal);
        var read = StoreJson.Read<AlertRecord>(stored);
        Assert.Equal((p0, T0, T0 + TimeSpan.FromHours(6)), (read.Severity, read.HeldAt, read.ReleasedAt));
        Assert.Equal(T0 + TimeSpan.FromHours(6), read.ClockStart);
    }

    [Fact]
    public void Metrics_CarryTheTeamsLevelNames_AndATeamP1SharesTheBuiltInP1Series()
    {
        var store = new Monitor.Metrics.SeriesStore();
        var metrics = new AlertMetrics(store);
        var levels = Options(OpenWebUi).Levels;
        metrics.Levels(levels);
        var book = new AlertBook();
        foreach (var alert in new[] { Alert("A", "P0", levels, T0), Alert("B", "P1", levels, T0), Alert("C", "error", levels, T0) })
        {
            book.Alerts[alert.Key] = alert;
        }

        metrics.Count(book, new HashSet<string>());
        metrics.Breached(levels.All[0], SlaKind.Ack);
        var samples = Exposition.Samples(store);
        Assert.Equal("1", samples["monitor_alerts{severity=\"P0\",state=\"firing\"}"]);
        Assert.Equal("2", samples["monitor_alerts{severity=\"P1\",state=\"firing\"}"]);
        Assert.Equal("0", samples["monitor_alerts{severity=\"P4\",state=\"firing\"}"]); // the built-in series stay, at 0
        Assert.Equal("1", samples["monitor_alert_sla_breaches_total{kind=\"ack\",severity=\"P0\"}"]);
    }

    [Fact]
    public void ResolveWithinOff_NeverBreaches()
    {
        var options = Options(OpenWebUi);
        var policy = new AlertPolicy(options);
        var alert = Alert("Old", "P3", options.Levels, T0);
        var book = new AlertBook();
        book.Alerts[alert.Key] = alert;
        var decision = DecisionCore.Decide(book, policy, T0 + TimeSpan.FromDays(30), new SequentialIds());
        Assert.Equal([SlaKind.Ack], decision.SlaBreaches.Select(b => b.Kind));
    }

    [Fact]
    public void AfterZero_IsAllowed_ButStepsStillIncrease()
    {
        Assert.True(Parse("escalation:\n  P1: [ { after: 0s, notify: [lead] }, { after: 10m, notify: [email] } ]\n").Success);
        var error = Assert.Single(Parse("escalation:\n  P1: [ { after: 0s, notify: [lead] }, { after: 0s, notify: [email] } ]\n").Errors);
        Assert.Contains("steps must be in increasing order of after (0s follows 0s)", error.Message);
    }
}
