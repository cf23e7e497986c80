using Monitor.Delivery.Email;
using Monitor.Hosting;
using Monitor.Configuration;
using Monitor.Tests.TestSupport;
using Monitor.Checks.Disk;
using Monitor.Checks.Http;
using Monitor.Checks.Postgres;

namespace Monitor.Tests.Configuration;

public class ConfigLoaderTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["MONITOR_API_TOKEN"] = "tok-123",
        ["MONITOR_ACK_SECRET"] = "ack-secret",
        ["OPENWEBUI_DB_DSN"] = "postgres://monitor:pw@db:5432/openwebui",
        ["PD_ROUTING_KEY"] = "0123456789abcdef0123456789abcdef",
        ["SLACK_WEBHOOK_URL"] = "https://hooks.slack.com/services/T000/B000/XXXX",
        ["SMTP_PASSWORD"] = "smtp-pw",
    };

    private static ConfigLoadResult Parse(string yaml, IDictionary<string, string>? env = null, Func<string, string>? readFile = null) =>
        MonitorConfig.Parse(yaml, "monitor.yaml", name => (env ?? Env).TryGetValue(name, out var v) ? v : null, readFile ?? (p => throw new FileNotFoundException($"no such file {p}")));

    private static string[] Errors(string yaml, IDictionary<string, string>? env = null) =>
        [.. Parse(yaml, env).Errors.Select(e => e.ToString())];

    [Fact]
    public void Parse_SpecExample_IsValid()
    {
        // The full example of the configuration reference, as a user would paste it.
        var result = Parse(File.ReadAllText(Repository.File("tests/Monitor.Tests/Configuration/spec-example.yaml")));
        Assert.Empty(result.Errors);
        var o = result.Options!;
        Assert.Equal(7, o.Checks.Count);
        Assert.Equal(["openwebui", "postgres-port", "openwebui-db", "gpus", "dcgm", "disk", "cluster"], o.Checks.Select(c => c.Name));
        var http = o.Checks[0];
        Assert.Equal(TimeSpan.FromSeconds(30), http.Interval);
        Assert.Equal(TimeSpan.FromSeconds(5), http.Timeout);
        Assert.Equal("healthy", http.SettingsOf<HttpCheckOptions>().Expect.BodyJson["status"]);
        Assert.Equal([200], http.SettingsOf<HttpCheckOptions>().Expect.Status);
        Assert.Equal(14, http.SettingsOf<HttpCheckOptions>().Expect.MinCertDays);
        Assert.Equal(TimeSpan.FromSeconds(2), http.SettingsOf<HttpCheckOptions>().Expect.MaxResponseTime);
        Assert.Equal("platform", http.Labels["team"]);
        Assert.Equal(TimeSpan.FromSeconds(10), o.Checks[1].Timeout); // defaults
        Assert.Equal("postgres://monitor:pw@db:5432/openwebui", o.Checks[2].SettingsOf<PostgresCheckOptions>().Dsn.Reveal());
        Assert.Equal("tok-123", o.Server.ApiToken!.Reveal());
        Assert.Equal([Severity.P1, Severity.P2], o.Escalation.Keys.Order());
        Assert.Equal(TimeSpan.FromHours(2), o.Escalation[Severity.P1][1].After);
        Assert.Equal(["pager", "slack", "email"], o.Severities[Severity.P1].Notify);
        Assert.Equal("Asia/Seoul", o.Silences[0].TimeZone.Id);
        Assert.Equal(8, o.Receivers.Count);
        Assert.Equal(587, o.Receivers[2].SettingsOf<EmailReceiverOptions>().Smtp.Port);
        Assert.True(o.Receivers[2].SettingsOf<EmailReceiverOptions>().Smtp.StartTls);
        Assert.Equal("morning", o.Reports[0].Name);
    }

    [Fact]
    public void Parse_SpecExampleVerbatim_FlagsTheTwoUndefinedReceivers()
    {
        string yaml = File.ReadAllText(Repository.File("tests/Monitor.Tests/Configuration/spec-example.yaml"));
        yaml = yaml[..yaml.IndexOf("  # Not in the reference example", StringComparison.Ordinal)] + yaml[yaml.IndexOf("reports:", StringComparison.Ordinal)..];
        var errors = Parse(yaml).Errors.Select(e => e.Message).ToList();
        Assert.Equal(2, errors.Count);
        Assert.StartsWith("escalation.P1[1].notify[0]: unknown receiver \"cto\"", errors[0]);
        Assert.StartsWith("routing.routes[0].notify[0]: unknown receiver \"data-slack\"", errors[1]);
    }

    [Fact]
    public void Load_ShippedConfig_IsValidWithoutAnySecrets()
    {
        var result = MonitorConfig.Load(Repository.File("monitor.yaml"), _ => null);
        Assert.Empty(result.Errors);
        Assert.Contains(result.Options!.Checks, c => c.Kind.Key == DiskCheck.Kind.Key);
        Assert.Contains(result.Options.Checks, c => c.Kind.Key == HttpCheck.Kind.Key && c.SettingsOf<HttpCheckOptions>().Url.AbsolutePath == "/healthz");
    }

    [Fact]
    public void Parse_UnknownKey_ReportsLineColumnAndAllowedKeys()
    {
        var errors = Errors("""
            checks:
              - name: a
                intervall: 30s
                tcp: { address: "x:1" }
            """);
        var error = Assert.Single(errors);
        Assert.StartsWith("monitor.yaml:3:5: checks[0]: unknown key \"intervall\"", error);
        Assert.Contains("interval", error);
    }

    [Fact]
    public void Parse_UnsetVariable_NamesTheVariable()
    {
        var errors = Errors("""
            server:
              api_token: ${NOT_SET_ANYWHERE}
            """);
        Assert.Equal(["monitor.yaml:2:14: server.api_token: environment variable NOT_SET_ANYWHERE is not set"], errors);
    }

    [Fact]
    public void Parse_BadDuration_ShowsValueAndPosition()
    {
        var errors = Errors("""
            defaults:
              interval: 30 seconds
            """);
        Assert.Equal(["monitor.yaml:2:13: defaults.interval: invalid duration \"30 seconds\" (use e.g. 500ms, 30s, 5m, 1h, 2d, 1w)"], errors);
    }

    [Fact]
    public void Parse_ManyErrors_ReportsEveryOneInFileOrder()
    {
        var errors = Errors("""
            bogus: 1
            defaults: { interval: 5x }
            checks:
              - name: a
                http: { url: "not a url" }
              - name: a
                tcp: { address: "db:5432" }
              - name: b
            evaluation_interval: -1s
            """);
        Assert.Equal(6, errors.Length);
        Assert.StartsWith("monitor.yaml:1:1: top level: unknown key \"bogus\"", errors[0]);
        Assert.StartsWith("monitor.yaml:2:23: defaults.interval: invalid duration \"5x\"", errors[1]);
        Assert.StartsWith("monitor.yaml:5:18: checks[0].http.url: invalid URL \"not a url\"", errors[2]);
        Assert.StartsWith("monitor.yaml:6:11: checks[1].name: duplicate check name \"a\"", errors[3]);
        Assert.StartsWith("monitor.yaml:8:5: checks[2]: a check needs exactly one of http, tcp", errors[4]);
        Assert.StartsWith("monitor.yaml:9:22: evaluation_interval: invalid duration \"-1s\"", errors[5]);
    }

    [Fact]
    public void Parse_InvalidYaml_ReportsPosition()
    {
        var errors = Errors("checks:\n  - name: a\n   bad: [\n");
        var error = Assert.Single(errors);
        Assert.Matches(@"^monitor\.yaml:\d+:\d+: invalid YAML: ", error);
    }

    [Fact]
    public void Parse_FlowCollectionLeftOpen_IsAnError_NotACrash()
    {
        // YamlDotNet throws InvalidOperationException (not a YamlException) for this one.
        var error = Assert.Single(Errors("checks: [abc\nserver: {}\n"));
        Assert.Equal("monitor.yaml:1:9: invalid YAML: a flow sequence or mapping ('[' or '{') is not closed", error);
    }

    [Fact]
    public void Parse_DollarDollar_EscapesADollar()
    {
        var result = Parse("""
            checks:
              - name: a
                http:
                  url: http://x/
                  headers: { X-Price: "$$5 and ${PD_ROUTING_KEY}" }
            """);
        Assert.Empty(result.Errors);
        Assert.Equal("$5 and 0123456789abcdef0123456789abcdef", result.Options!.Checks[0].SettingsOf<HttpCheckOptions>().Headers["X-Price"]);
    }

    [Fact]
    public void Parse_SecretFromFile_IsReadAndTrimmed()
    {
        var result = Parse(
            """
            server:
              api_token_file: /run/secrets/token
            """,
            readFile: p => p == "/run/secrets/token" ? "from-file\n" : throw new FileNotFoundException(p));
        Assert.Empty(result.Errors);
        Assert.Equal("from-file", result.Options!.Server.ApiToken!.Reveal());
        Assert.Equal("<secret>", result.Options.Server.ApiToken.ToString());
    }

    [Fact]
    public void Parse_SecretFileMissing_NamesFieldAndPath()
    {
        var errors = Errors("""
            receivers:
              - name: pager
                pagerduty: { routing_key_file: /nope/key }
            """);
        var error = Assert.Single(errors);
        Assert.StartsWith("monitor.yaml:3:36: receivers[0].pagerduty.routing_key_file: cannot read secret file \"/nope/key\"", error);
    }

    [Fact]
    public void Parse_SecretAndSecretFile_IsAnError()
    {
        var errors = Errors("""
            server:
              api_token: abc
              api_token_file: /x
            """);
        Assert.Equal(["monitor.yaml:3:3: server.api_token_file: give either api_token or api_token_file, not both"], errors);
    }

    [Fact]
    public void Parse_InvalidSlackUrl_DoesNotEchoTheSecret()
    {
        var errors = Errors("""
            receivers:
              - name: s
                slack: { webhook_url: "very-secret-token" }
            """);
        var error = Assert.Single(errors);
        Assert.DoesNotContain("very-secret-token", error);
        Assert.Contains("receivers[0].slack.webhook_url: not an absolute http(s) URL", error);
    }

    [Fact]
    public void Parse_UnknownReceiverReference_ListsConfiguredOnes()
    {
        var errors = Errors("""
            receivers:
              - name: ops-mail
                email: { smtp: { host: mail }, from: a@b.c, to: [ops@b.c] }
            severities:
              P1: { notify: [pager] }
            """);
        Assert.Equal(["monitor.yaml:5:18: severities.P1.notify[0]: unknown receiver \"pager\" (configured: ops-mail)"], errors);
    }

    [Fact]
    public void Parse_DefaultSeverities_KeepOnlyExistingReceivers()
    {
        var result = Parse("""
            receivers:
              - name: slack
                slack: { webhook_url: "https://hooks.slack.com/services/x" }
            """);
        Assert.Empty(result.Errors);
        Assert.Equal(["slack"], result.Options!.Severities[Severity.P1].Notify);
        Assert.Empty(result.Options.Severities[Severity.P4].Notify);
        Assert.Equal(TimeSpan.FromMinutes(15), result.Options.Severities[Severity.P1].AckWithin);
    }

    [Fact]
    public void Parse_TimeoutLongerThanInterval_IsAnError_DefaultTimeoutIsCapped()
    {
        var errors = Errors("""
            checks:
              - { name: a, tcp: { address: "h:1" }, interval: 5s, timeout: 10s }
            """);
        Assert.Equal(["monitor.yaml:2:64: checks[0].timeout: 10s is longer than the interval 5s"], errors);

        var capped = Parse("""
            checks:
              - { name: a, tcp: { address: "h:1" }, interval: 5s }
            """);
        Assert.Equal(TimeSpan.FromSeconds(5), capped.Options!.Checks[0].Timeout);
    }

    [Fact]
    public void Parse_HttpKeepAlive_IsOptIn_AndMustBeABoolean()
    {
        var result = Parse("checks:\n  - { name: a, http: { url: \"http://x/\" } }\n  - { name: b, http: { url: \"http://x/\", keepalive: true } }\n");
        Assert.Empty(result.Errors);
        Assert.False(result.Options!.Checks[0].SettingsOf<HttpCheckOptions>().KeepAlive);
        Assert.True(result.Options.Checks[1].SettingsOf<HttpCheckOptions>().KeepAlive);
        Assert.Equal(
            ["monitor.yaml:2:53: checks[0].http.keepalive: expected true or false, got \"always\""],
            Errors("checks:\n  - { name: a, http: { url: \"http://x/\", keepalive: always } }\n"));
    }

    [Theory]
    [InlineData("labels: { __x: y }", "invalid name \"__x\"")]
    [InlineData("labels: { check: y }", "invalid name \"check\"")]
    [InlineData("labels: { 1x: y }", "invalid name \"1x\"")]
    public void Parse_InvalidCheckLabels_AreRejected(string labels, string expected)
    {
        var errors = Errors($"checks:\n  - name: a\n    tcp: {{ address: \"h:1\" }}\n    {labels}\n");
        Assert.Contains(expected, Assert.Single(errors));
    }

    [Theory]
    [InlineData("tcp: { address: nohost }", "invalid address \"nohost\"")]
    [InlineData("tcp: { address: \"h:99999\" }", "invalid address \"h:99999\"")]
    [InlineData("http: { url: \"ftp://x/\" }", "invalid URL \"ftp://x/\"")]
    [InlineData("http: { url: \"http://x/\", method: FETCH }", "unsupported method \"FETCH\"")]
    [InlineData("http: { url: \"http://x/\", expect: { status: [700] } }", "700 is out of range (100-599)")]
    [InlineData("http: { url: \"http://x/\", expect: { max_response_time: fast } }", "invalid duration \"fast\"")]
    [InlineData("http: { url: \"http://x/\", headers: { \"X-A\": \"a\\r\\nInjected: 1\" } }", "must not contain line breaks")]
    [InlineData("disk: { mountpoints: [data] }", "mount points are absolute paths")]
    [InlineData("scrape: { url: \"http://x/\", keep: \"(\" }", "invalid regular expression \"(\"")]
    [InlineData("postgres: {}", "checks[0].postgres.dsn: required")]
    [InlineData("http: { url: \"http://x/\" }\n    tcp: { address: \"h:1\" }", "a check has exactly one kind, found http and tcp")]
    public void Parse_InvalidCheck_ExplainsWhy(string body, string expected)
    {
        var errors = Errors($"checks:\n  - name: a\n    {body}\n");
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("silences: [ { name: m, cron: \"0 2 * * FUNDAY\", duration: 2h, matchers: { a: b } } ]", "invalid cron expression")]
    [InlineData("silences: [ { name: m, cron: \"0 2 * * SUN\", duration: 2h, timezone: Mars/Base, matchers: { a: b } } ]", "unknown time zone \"Mars/Base\"")]
    [InlineData("silences: [ { name: m, cron: \"0 2 * * SUN\", duration: 2h } ]", "a silence without matchers would mute everything")]
    [InlineData("routing: { group_wait: soon }", "routing.group_wait: invalid duration \"soon\"")]
    [InlineData("routing: { routes: [ { notify: [] } ] }", "a route needs match or match_re")]
    [InlineData("inhibit: [ { target: { severity: P3 } } ]", "inhibit[0].source: required")]
    [InlineData("storage: { sqlite: a.db, postgres: \"host=x\" }", "give either sqlite or postgres")]
    [InlineData("server: { listen: \"nowhere\" }", "invalid address \"nowhere\"")]
    [InlineData("shard: 3/3", "invalid value \"3/3\"")]
    [InlineData("severities: { P5: {} }", "unknown key \"P5\"")]
    [InlineData("escalation: { P1: [ { after: 1h, notify: [] }, { after: 30m, notify: [] } ] }", "steps must be in increasing order")]
    [InlineData("receivers: [ { name: e, email: { smtp: { host: h, tls: true, starttls: true }, from: a@b.c, to: [x@y.z] } } ]", "starttls and tls (implicit TLS) exclude each other")]
    [InlineData("receivers: [ { name: e, email: { smtp: { host: h }, from: \"a@b.c\\r\\nBcc: x@evil\", to: [x@y.z] } } ]", "invalid address")]
    [InlineData("rule_files: [does-not-exist.yml]", "rule file \"does-not-exist.yml\" does not exist")]
    public void Parse_InvalidAlertingSections_ExplainWhy(string yaml, string expected)
    {
        var errors = Errors(yaml);
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_Fingerprint_ChangesWithSettingsNotWithOrder()
    {
        var a = Parse("checks: [ { name: a, http: { url: \"http://x/\", method: GET } } ]").Options!.Checks[0];
        var b = Parse("checks: [ { http: { method: GET, url: \"http://x/\" }, name: a } ]").Options!.Checks[0];
        var c = Parse("checks: [ { name: a, http: { url: \"http://y/\" } } ]").Options!.Checks[0];
        Assert.Equal(a.Fingerprint, b.Fingerprint);
        Assert.NotEqual(a.Fingerprint, c.Fingerprint);
    }

    [Fact]
    public void Parse_EmptyFile_GivesDefaults()
    {
        var result = Parse(string.Empty);
        Assert.Empty(result.Errors);
        Assert.Equal("127.0.0.1:9747", result.Options!.Server.Listen);
        Assert.Equal("data/monitor.db", result.Options.Storage.Sqlite);
        Assert.Null(result.Options.Server.ApiToken);
    }
}
