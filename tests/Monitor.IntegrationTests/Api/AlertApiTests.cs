using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Monitor.Alerting;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Api;

/// <summary>The alert API (docs/http-api.md) on the real service, and a real Alertmanager 0.25 feeding it.</summary>
public sealed class AlertApiTests
{
    private const string Token = "test-token-123";
    private const string AckSecret = "ack-secret-456";

    private static string Config(RecordingSink sink, int downPort) => $$"""
        server:
          api_token: {{Token}}
          ack_secret: {{AckSecret}}
          external_url: https://monitor.example.test
        defaults: { interval: 1s, timeout: 1s }
        checks:
          - { name: api, tcp: { address: "127.0.0.1:{{downPort}}" }, labels: { service: api } }
        rule_files: [rules.yml]
        evaluation_interval: 1s
        severities:
          P1: { ack_within: 15m, resolve_within: 2h, notify: [pager], repeat: 1h }
          P2: { ack_within: 30m, resolve_within: 4h, notify: [pager], repeat: 1h }
          P3: { ack_within: 2h, resolve_within: 1d, notify: [chat], repeat: 4h }
          P4: { ack_within: 1d, resolve_within: 1w, notify: [chat], repeat: 1d }
        routing: { group_by: [alertname, service], group_wait: 0s, group_interval: 1s }
        receivers:
          - { name: pager, webhook: { url: "{{sink.Url("/pager")}}" } }
          - { name: chat, webhook: { url: "{{sink.Url("/chat")}}" } }
        """;

    private static async Task<MonitorProcess> StartAsync(RecordingSink sink, int downPort)
    {
        string dir = Tools.TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "rules.yml"), """
            groups:
              - name: api
                rules:
                  - alert: ApiDown
                    expr: probe_success == 0
                    labels: { severity: error }
                    annotations: { summary: "{{ $labels.service }} <down>" }
            """);
        return await MonitorProcess.StartAsync(Config(sink, downPort), directory: dir);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(MonitorProcess monitor, HttpMethod method, string path, string? json = null, string? token = Token)
    {
        using var request = new HttpRequestMessage(method, new Uri(monitor.BaseUri, path));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await monitor.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return (response.StatusCode, document.RootElement.Clone());
    }

    private static async Task<JsonElement> FiringAlertAsync(MonitorProcess monitor)
    {
        JsonElement alert = default;
        await Eventually.HoldsAsync(async () =>
        {
            var (_, body) = await SendAsync(monitor, HttpMethod.Get, "/api/v1/alerts", token: null);
            var firing = body.GetProperty("alerts").EnumerateArray().Where(a => a.GetProperty("state").GetString() != "pending").ToList();
            if (firing.Count == 0)
            {
                return false;
            }

            alert = firing[0];
            return true;
        }, TimeSpan.FromSeconds(30), monitor.Output.ToString);
        return alert;
    }

    /// <summary>Invalid UTF-8 inside a JSON string is refused as 400 with the field named, on every JSON body, never an empty 500.</summary>
    [Fact]
    public async Task InvalidUtf8InAJsonString_Is400NamingTheField()
    {
        await using var sink = await RecordingSink.StartAsync();
        await using var monitor = await StartAsync(sink, FreePort.Get());
        static byte[] With(string before, string after) => [.. Encoding.UTF8.GetBytes(before), 0xff, 0xfe, .. Encoding.UTF8.GetBytes(after)];
        var bodies = new (string Path, byte[] Body, string Field)[]
        {
            ("/api/v1/alerts/0123456789abcdef/ack", With("{\"by\":\"kim", "\"}"), "by"),
            ("/api/v1/silences", With("{\"matchers\":{\"service\":\"api", "\"},\"endsAt\":\"2030-01-01T00:00:00Z\",\"createdBy\":\"kim\"}"), "matchers.service"),
            ("/api/v1/alertmanager", With("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"X\",\"service\":\"a", "\"}}]}"), "alerts[0].labels.service"),
        };
        foreach (var (path, body, field) in bodies)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(monitor.BaseUri, path)) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var response = await monitor.Http.SendAsync(request);
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {text}");
            using var answer = JsonDocument.Parse(text);
            Assert.Equal("error", answer.RootElement.GetProperty("status").GetString());
            Assert.Equal($"invalid JSON: {field}: string is not valid UTF-8 (or holds a lone surrogate escape)", answer.RootElement.GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task Ack_ByApi_ValidatesAndStopsRepeats()
    {
        await using var sink = await RecordingSink.StartAsync();
        await using var monitor = await StartAsync(sink, FreePort.Get());
        var alert = await FiringAlertAsync(monitor);
        string fp = alert.GetProperty("fingerprint").GetString()!;
        Assert.Equal("P2", alert.GetProperty("severity").GetString());
        Assert.Equal("api", alert.GetProperty("labels").GetProperty("service").GetString());
        await Eventually.HoldsAsync(() => Task.FromResult(sink.Requests.Any(r => r.Path == "/pager")), TimeSpan.FromSeconds(10), () => "no page");

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(monitor, HttpMethod.Post, $"/api/v1/alerts/{fp}/ack", """{"by":"kim"}""", token: null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(monitor, HttpMethod.Post, $"/api/v1/alerts/{fp}/ack", """{"by":"kim"}""", token: "wrong")).Status);
        var bad = await SendAsync(monitor, HttpMethod.Post, $"/api/v1/alerts/{fp}/ack", "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal("error", bad.Body.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(monitor, HttpMethod.Post, $"/api/v1/alerts/{fp}/ack", """{"comment":"no name"}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(monitor, HttpMethod.Post, $"/api/v1/alerts/{fp}/ack", """["by"]""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(monitor, HttpMethod.Post, "/api/v1/alerts/0123456789abcdef/ack", """{"by":"kim"}""")).Status);

        var ok = await SendAsync(monitor, HttpMethod.Post, $"/api/v1/alerts/{fp}/ack", """{"by":"kim","comment":"looking"}""");
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.False(ok.Body.GetProperty("already_acknowledged").GetBoolean());
        Assert.True((await SendAsync(monitor, HttpMethod.Post, $"/api/v1/alerts/{fp}/ack", """{"by":"lee"}""")).Body.GetProperty("already_acknowledged").GetBoolean());

        var listed = (await SendAsync(monitor, HttpMethod.Get, "/api/v1/alerts", token: null)).Body.GetProperty("alerts")[0];
        Assert.Equal("acknowledged", listed.GetProperty("state").GetString());
        Assert.Equal("kim", listed.GetProperty("acked_by").GetString());
        Assert.Equal("looking", listed.GetProperty("ack_comment").GetString());
        string metrics = await monitor.GetStringAsync("/metrics");
        Assert.Contains("monitor_alert_time_to_ack_seconds_count{severity=\"P2\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("monitor_alerts{severity=\"P2\",state=\"acknowledged\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AckLink_GetOnlyShows_PostAcknowledges_ForgedAndExpiredRefused()
    {
        await using var sink = await RecordingSink.StartAsync();
        await using var monitor = await StartAsync(sink, FreePort.Get());
        var firingAlert = await FiringAlertAsync(monitor);
        string fp = firingAlert.GetProperty("fingerprint").GetString()!;
        var episode = DateTimeOffset.Parse(firingAlert.GetProperty("fired_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var tokens = AckTokens.FromSecret(AckSecret);
        string token = tokens.Create(fp, episode, TimeProvider.System.GetUtcNow().AddHours(1));

        // A link of an earlier incident of the same alert neither shows a form nor acknowledges.
        string earlier = tokens.Create(fp, episode.AddHours(-1), TimeProvider.System.GetUtcNow().AddHours(1));
        using (var old = await monitor.Http.GetAsync(new Uri(monitor.BaseUri, "/ack/" + earlier)))
        {
            Assert.Equal(HttpStatusCode.Gone, old.StatusCode);
            Assert.Contains("earlier incident", await old.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var oldForm = new FormUrlEncodedContent(new Dictionary<string, string> { ["by"] = "stale" }))
        using (var oldPost = await monitor.Http.PostAsync(new Uri(monitor.BaseUri, "/ack/" + earlier), oldForm))
        {
            Assert.Equal(HttpStatusCode.Gone, oldPost.StatusCode);
        }

        using (var page = await monitor.Http.GetAsync(new Uri(monitor.BaseUri, "/ack/" + token)))
        {
            string html = await page.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("ApiDown", html, StringComparison.Ordinal);
            Assert.Contains("api &lt;down&gt;", html, StringComparison.Ordinal); // the summary, escaped
            Assert.Contains("<form method=\"post\">", html, StringComparison.Ordinal);
        }

        var alert = (await SendAsync(monitor, HttpMethod.Get, "/api/v1/alerts", token: null)).Body.GetProperty("alerts")[0];
        Assert.Equal(JsonValueKind.Null, alert.GetProperty("acked_by").ValueKind); // a GET never acknowledges

        string forged = tokens.Create("0123456789abcdef", episode, TimeProvider.System.GetUtcNow().AddHours(1));
        forged = forged[..^2] + (forged[^2] == 'A' ? "B" : "A") + forged[^1];
        Assert.Equal(HttpStatusCode.Forbidden, (await monitor.Http.GetAsync(new Uri(monitor.BaseUri, "/ack/" + forged))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await monitor.Http.GetAsync(new Uri(monitor.BaseUri, "/ack/" + AckTokens.FromSecret("other").Create(fp, episode, TimeProvider.System.GetUtcNow().AddHours(1))))).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await monitor.Http.GetAsync(new Uri(monitor.BaseUri, "/ack/" + tokens.Create(fp, episode, TimeProvider.System.GetUtcNow().AddSeconds(-1))))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await monitor.Http.GetAsync(new Uri(monitor.BaseUri, "/ack/not-a-token"))).StatusCode);

        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["by"] = "<b>park</b>", ["comment"] = "via mail" });
        using var posted = await monitor.Http.PostAsync(new Uri(monitor.BaseUri, "/ack/" + token), form);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Contains("&lt;b&gt;park&lt;/b&gt;", await posted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        alert = (await SendAsync(monitor, HttpMethod.Get, "/api/v1/alerts", token: null)).Body.GetProperty("alerts")[0];
        Assert.Equal("<b>park</b>", alert.GetProperty("acked_by").GetString());
    }

    [Fact]
    public async Task Silences_CreateListExpire_MuteTheAlert_AndBadInputIs400()
    {
        await using var sink = await RecordingSink.StartAsync();
        // The target is up until the silence exists: an alert that fired first would rightly be paged (a race the
        // test lost on a loaded machine, when its first requests took longer than a check and an evaluation).
        using var target = new TcpToggle();
        await using var monitor = await StartAsync(sink, target.Port);
        var start = TimeProvider.System.GetUtcNow();
        string end = start.AddHours(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(monitor, HttpMethod.Post, "/api/v1/silences", $$"""{"matchers":[],"endsAt":"{{end}}","createdBy":"kim"}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(monitor, HttpMethod.Post, "/api/v1/silences", """{"matchers":{"service":"api"},"createdBy":"kim"}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(monitor, HttpMethod.Post, "/api/v1/silences", $$"""{"matchers":[{"name":"a","value":"(","isRegex":true}],"endsAt":"{{end}}","createdBy":"kim"}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(monitor, HttpMethod.Post, "/api/v1/silences", """{"matchers":{"service":"api"},"endsAt":"yesterday","createdBy":"kim"}""")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(monitor, HttpMethod.Post, "/api/v1/silences", $$"""{"matchers":{"service":"api"},"endsAt":"{{end}}","createdBy":"kim"}""", token: null)).Status);

        var created = await SendAsync(monitor, HttpMethod.Post, "/api/v1/silences", $$"""{"matchers":[{"name":"service","value":"ap.","isRegex":true}],"endsAt":"{{end}}","createdBy":"kim","comment":"deploy"}""");
        Assert.Equal(HttpStatusCode.OK, created.Status);
        string id = created.Body.GetProperty("silenceID").GetString()!;
        var listed = (await SendAsync(monitor, HttpMethod.Get, "/api/v1/silences", token: null)).Body.GetProperty("silences")[0];
        Assert.Equal("active", listed.GetProperty("state").GetString());
        Assert.Equal("deploy", listed.GetProperty("comment").GetString());
        target.Flip();

        // The target is down from now on: the silenced alert fires but nobody is paged. Once it fires, the check
        // and the rule run three more times, and nothing decided is still owed or on its way.
        var alert = await FiringAlertAsync(monitor);
        await Eventually.ProgressedAsync(3, TimeSpan.FromSeconds(60), monitor);
        await Eventually.DeliveredAsync(sink, TimeSpan.FromSeconds(30), [monitor]);
        Assert.Empty(sink.Requests);
        alert = (await SendAsync(monitor, HttpMethod.Get, "/api/v1/alerts", token: null)).Body.GetProperty("alerts")[0];
        Assert.True(alert.GetProperty("suppressed").GetBoolean());

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(monitor, HttpMethod.Delete, "/api/v1/silences/nope")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(monitor, HttpMethod.Delete, $"/api/v1/silences/{id}")).Status);
        Assert.Equal("expired", (await SendAsync(monitor, HttpMethod.Get, "/api/v1/silences", token: null)).Body.GetProperty("silences")[0].GetProperty("state").GetString());
        await Eventually.HoldsAsync(() => Task.FromResult(sink.Requests.Any(r => r.Path == "/pager")), TimeSpan.FromSeconds(10), () => "not paged after the silence expired");
    }

    [Fact]
    public async Task RealAlertmanager_ForwardsItsAlerts_WhichAreRoutedBySeverity_AndResolve()
    {
        await using var sink = await RecordingSink.StartAsync();
        using var up = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        up.Start(); // the TCP check stays up: only Alertmanager's alerts exist
        await using var monitor = await StartAsync(sink, ((IPEndPoint)up.LocalEndpoint).Port);
        await using var alertmanager = await AlertmanagerServer.StartAsync($$"""
            route:
              receiver: monitor
              group_by: [alertname]
              group_wait: 1s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: monitor
                webhook_configs:
                  - url: {{new Uri(monitor.BaseUri, "/api/v1/alertmanager")}}
                    send_resolved: true
                    http_config:
                      authorization: { credentials: {{Token}} }
            """);

        await alertmanager.PushAsync("""
            [ { "labels": { "alertname": "DiskFull", "severity": "critical", "service": "db" }, "annotations": { "summary": "disk full" } },
              { "labels": { "alertname": "SlowQueries", "severity": "warning", "service": "db" } } ]
            """);
        await Eventually.HoldsAsync(
            () => Task.FromResult(sink.Requests.Any(r => r.Path == "/pager" && r.Body.Contains("DiskFull", StringComparison.Ordinal))
                && sink.Requests.Any(r => r.Path == "/chat" && r.Body.Contains("SlowQueries", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(30),
            () => "not routed:\n" + string.Join("\n", sink.Requests.Select(r => r.Path + " " + r.Body)) + "\n" + alertmanager.Output + monitor.Output);
        Assert.DoesNotContain(sink.Requests, r => r.Path == "/pager" && r.Body.Contains("SlowQueries", StringComparison.Ordinal));

        var alerts = (await SendAsync(monitor, HttpMethod.Get, "/api/v1/alerts", token: null)).Body.GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("source").GetString() == "alertmanager").ToList();
        Assert.Equal(["P1", "P3"], alerts.Select(a => a.GetProperty("severity").GetString()).Order());

        string now = TimeProvider.System.GetUtcNow().AddSeconds(-1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        await alertmanager.PushAsync($$"""[ { "labels": { "alertname": "DiskFull", "severity": "critical", "service": "db" }, "endsAt": "{{now}}" } ]""");
        await Eventually.HoldsAsync(
            () => Task.FromResult(sink.Requests.Any(r => r.Path == "/pager" && r.Body.Contains("\"status\":\"resolved\"", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(30),
            () => "resolution not routed:\n" + string.Join("\n", sink.Requests.Select(r => r.Path + " " + r.Body)));
        int pages = sink.Requests.Count(r => r.Path == "/pager" && r.Body.Contains("DiskFull", StringComparison.Ordinal));
        Assert.Equal(2, pages); // one firing, one resolved: Alertmanager's re-sends were deduplicated
    }

    [Fact]
    public async Task AlertmanagerWebhook_BadPayloads_Are400_NeverAFailure()
    {
        await using var sink = await RecordingSink.StartAsync();
        await using var monitor = await StartAsync(sink, FreePort.Get());
        foreach (string body in new[]
        {
            "nope",
            "[]",
            """{"version":"3","alerts":[]}""",
            """{"version":"4"}""",
            """{"version":"4","alerts":[{"status":"firing","labels":{}}]}""",
            """{"version":"4","alerts":[{"status":"maybe","labels":{"a":"b"}}]}""",
            """{"version":"4","alerts":[{"status":"firing","labels":{"a":1}}]}""",
            """{"version":"4","alerts":[{"status":"firing","labels":{"a":"b"},"startsAt":"soon"}]}""",
        })
        {
            var (status, answer) = await SendAsync(monitor, HttpMethod.Post, "/api/v1/alertmanager", body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{body} -> {(int)status}");
            Assert.Equal("error", answer.GetProperty("status").GetString());
        }
    }
}
