using Microsoft.Extensions.Time.Testing;
using System.Text;
using System.Text.Json;
using Monitor.Hosting;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Delivery;
using Monitor.Tests.TestSupport;
using Monitor.Delivery.Email;
using Monitor.Delivery.Slack;
using Monitor.Delivery.PagerDuty;
using Monitor.Delivery.Webhook;
using Monitor.Delivery.Alertmanager;

namespace Monitor.Tests.Delivery;

/// <summary>Each medium's wire format (docs/delivery.md) and its escaping of hostile label values.</summary>
public class PayloadTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static NotifierContext Context(bool ackLinks = true)
    {
        var options = new MonitorOptions
        {
            SourceFile = "test.yaml",
            Server = new ServerOptions { ExternalUrl = new Uri("https://monitor.example.test/"), AckSecret = ackLinks ? new Secret("s3cret") : null },
        };
        return new NotifierContext(options, new FakeTimeProvider(T0));
    }

    private static Notification Note(NotificationKind kind = NotificationKind.Firing, Severity? severity = null, string summary = "api is down", string service = "api", string? ackedBy = null)
    {
        var level = severity ?? Severity.P1; // a struct since severities are configurable: no constant default
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = "ApiDown", ["service"] = service, ["severity"] = level.ToString(), ["instance"] = "10.0.0.1:8080" };
        return new Notification
        {
            Id = "0193a1b2c3d4e5f60718293a4b5c6d7e",
            Receiver = "r",
            GroupKey = "P1/-1/{alertname=\"ApiDown\",service=\"api\"}",
            DedupKey = "monitor-0123456789abcdef",
            Severity = level,
            Kind = kind,
            Reason = NotificationReason.First,
            GroupLabels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = "ApiDown", ["service"] = service },
            Alerts =
            [
                new AlertSnapshot
                {
                    Fingerprint = "1c780bb4e2bb2e43",
                    Labels = labels,
                    Annotations = new Dictionary<string, string> { ["summary"] = summary, ["runbook_url"] = "https://wiki.example.test/runbooks/api" },
                    Status = kind == NotificationKind.Resolved ? AlertStatus.Resolved : AlertStatus.Firing,
                    StartsAt = T0.AddMinutes(-5),
                    EndsAt = kind == NotificationKind.Resolved ? T0 : null,
                    Value = 0,
                    AckedBy = ackedBy,
                },
            ],
            CreatedAt = T0,
        };
    }

    private static JsonElement Json(byte[] body) => JsonDocument.Parse(body).RootElement;

    [Theory]
    [InlineData(1, "critical")]
    [InlineData(2, "error")]
    [InlineData(3, "warning")]
    [InlineData(4, "info")]
    public void PagerDuty_Trigger_HasTheEventsV2Shape(int level, string expected)
    {
        var severity = (Severity)level;
        var body = Json(PagerDutyNotifier.Payload(Note(severity: severity), "R0UT1NGKEY0123456789012345678901", Context()));
        Assert.Equal("R0UT1NGKEY0123456789012345678901", body.GetProperty("routing_key").GetString());
        Assert.Equal("trigger", body.GetProperty("event_action").GetString());
        Assert.Equal("monitor-0123456789abcdef", body.GetProperty("dedup_key").GetString());
        var payload = body.GetProperty("payload");
        Assert.Equal(expected, payload.GetProperty("severity").GetString());
        Assert.Equal("10.0.0.1:8080", payload.GetProperty("source").GetString());
        Assert.Equal("api", payload.GetProperty("component").GetString());
        Assert.StartsWith($"[{severity}] FIRING: ApiDown (service=api)", payload.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal("2026-11-22T09:55:00.000Z", payload.GetProperty("timestamp").GetString());
        Assert.Equal(1, payload.GetProperty("custom_details").GetProperty("num_firing").GetInt32());
        var links = body.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("href").GetString()!).ToList();
        Assert.Contains(links, l => l.StartsWith("https://monitor.example.test/ack/", StringComparison.Ordinal));
        Assert.Contains("https://wiki.example.test/runbooks/api", links);
    }

    [Theory]
    [InlineData("resolve")]
    [InlineData("acknowledge")]
    public void PagerDuty_ResolveAndAcknowledge_CarryOnlyKeyDedupAndAction(string action)
    {
        var kind = action == "resolve" ? NotificationKind.Resolved : NotificationKind.Acknowledged;
        var body = Json(PagerDutyNotifier.Payload(Note(kind), "key", Context()));
        Assert.Equal(["dedup_key", "event_action", "routing_key"], body.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(action, body.GetProperty("event_action").GetString());
    }

    [Fact]
    public void PagerDuty_SummaryIsCutTo1024Characters()
    {
        var body = Json(PagerDutyNotifier.Payload(Note(summary: new string('x', 5000)), "key", Context()));
        Assert.Equal(1024, body.GetProperty("payload").GetProperty("summary").GetString()!.Length);
    }

    [Fact]
    public void Slack_EscapesHostileLabelsAndSummaries_AndColoursBySeverityAndState()
    {
        var body = Json(SlackNotifier.Payload(Note(summary: "<script>alert(1)</script> & *bold* <!channel>", service: "<@U123>"), Context()));
        string text = body.GetProperty("text").GetString()!;
        var attachment = body.GetProperty("attachments")[0];
        string message = attachment.GetProperty("text").GetString()!;
        Assert.DoesNotContain("<script>", message, StringComparison.Ordinal);
        Assert.DoesNotContain("<!channel>", message, StringComparison.Ordinal);
        Assert.DoesNotContain("<@U123>", text + message, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; *\u200Bbold*\u200B &lt;!channel&gt;", message, StringComparison.Ordinal);
        Assert.Contains("&lt;@U123&gt;", text, StringComparison.Ordinal);
        Assert.Equal("danger", attachment.GetProperty("color").GetString());
        Assert.Contains("|acknowledge>", message, StringComparison.Ordinal);
        Assert.Contains("<https://wiki.example.test/runbooks/api|runbook>", message, StringComparison.Ordinal);
        Assert.Equal("good", Json(SlackNotifier.Payload(Note(NotificationKind.Resolved), Context())).GetProperty("attachments")[0].GetProperty("color").GetString());
        Assert.Equal("warning", Json(SlackNotifier.Payload(Note(severity: Severity.P3), Context())).GetProperty("attachments")[0].GetProperty("color").GetString());
    }

    [Fact]
    public void Slack_Acknowledgement_NamesWhoAcknowledged_Escaped()
    {
        var body = Json(SlackNotifier.Payload(Note(NotificationKind.Acknowledged, ackedBy: "<b>kim</b>"), Context()));
        Assert.Contains("Acknowledged by &lt;b&gt;kim&lt;/b&gt;", body.GetProperty("attachments")[0].GetProperty("text").GetString()!, StringComparison.Ordinal);
        Assert.DoesNotContain("acknowledge>", body.GetProperty("attachments")[0].GetProperty("text").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public void Email_SubjectWithCrLf_CannotInjectHeaders_AndHtmlIsEscaped()
    {
        var note = Note(service: "api\r\nBcc: victim@example.test", summary: "<script>x</script>");
        var options = new EmailReceiverOptions { Smtp = new SmtpOptions { Host = "smtp" }, From = "monitor@example.test", To = ["ops@example.test"] };
        string message = EmailNotifier.Wire(EmailNotifier.Message(note, options, Context()));
        var headers = message[..message.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        Assert.DoesNotContain(headers, h => h.StartsWith("Bcc:", StringComparison.OrdinalIgnoreCase));
        Assert.Single(headers, h => h.StartsWith("Subject: ", StringComparison.Ordinal));
        Assert.Contains("Subject: [P1] FIRING: ApiDown (service=api Bcc: victim@example.test)", message, StringComparison.Ordinal);
        Assert.Contains("X-Monitor-Notification-Id: 0193a1b2c3d4e5f60718293a4b5c6d7e", message, StringComparison.Ordinal);
        string html = EmailNotifier.Html(note, Context());
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;x&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("multipart/alternative", message, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain; charset=utf-8", message, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/html; charset=utf-8", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Email_NonAsciiAndLongHeaders_AreEncodedAndFolded_AndReadBack()
    {
        string subject = "[P1] FIRING: 디스크 사용률 90% 초과 " + new string('x', 300);
        var message = EmailNotifier.Compose("Monitor 알림 <monitor@example.test>", ["José Müller <josé@bücher.example>", "ops@example.test"], subject, "text", "<p>html</p>", "id-1", DateTimeOffset.UnixEpoch);
        string wire = EmailNotifier.Wire(message);
        string headers = wire[..wire.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        Assert.All(headers.Split("\r\n"), line => Assert.True(line.Length <= 998, $"{line.Length} characters: {line[..Math.Min(40, line.Length)]}"));
        // Subject and display names become encoded words (the server may not speak SMTPUTF8); a UTF-8 mailbox
        // needs SMTPUTF8 and is written as is (RFC 6532).
        string subjectHeader = headers[headers.IndexOf("Subject:", StringComparison.Ordinal)..];
        subjectHeader = subjectHeader[..subjectHeader.IndexOf("\r\n", subjectHeader.IndexOf("\r\n", StringComparison.Ordinal) + 2, StringComparison.Ordinal)];
        Assert.DoesNotContain(subjectHeader, c => c > 127);
        Assert.Contains("From: Monitor =?utf-8?b?", headers, StringComparison.Ordinal);

        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(wire));
        var parsed = MimeKit.MimeMessage.Load(stream);
        Assert.Equal(subject, parsed.Subject);
        Assert.Equal("Monitor 알림", Assert.Single(parsed.From.Mailboxes).Name);
        Assert.Equal(["josé@bücher.example", "ops@example.test"], parsed.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("id-1", parsed.Headers["X-Monitor-Notification-Id"]);
    }

    [Theory]
    [InlineData("[P1] DiskFull on primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-07 primär-db-")]
    [InlineData("[P1] FIRING: 디스크 사용률 90% 초과 디스크 사용률 90% 초과 디스크 사용률 90% 초과 디스크 사용률 90% 초과 디스크 사용률 90% 초과 디스크 사용률 90% 초과 디스크 사용률 90% 초과 디스크 사용률 90% 초과 디스크 사용률 90% 초과")]
    [InlineData("Überlauf  zwei  Leerzeichen 🔥🔥🔥 =?utf-8?q?not_encoded?= https://grafana.example.org/d/abcdefghijklmnopqrstuvwxyz0123456789/a-very-long-dashboard-name?orgId=1 Ende")]
    [InlineData("[P2] FIRING: ApiDown (service=api, instance=api-0.example.org:8080, job=api, namespace=production, cluster=eu-west-1, team=platform, region=eu) and 3 more of the same kind for a long time now")]
    [InlineData("[P3] a-single-ascii-token-longer-than-a-line-" + "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz")]
    public void Email_LongSubject_EncodedWordsWithin75_LinesWithin78_AndReadBack(string subject)
    {
        var message = EmailNotifier.Compose("monitor@example.test", ["ops@example.test"], subject, "text", "<p>html</p>", "id-1", DateTimeOffset.UnixEpoch);
        string wire = EmailNotifier.Wire(message);
        var lines = wire[..wire.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        int start = Array.FindIndex(lines, l => l.StartsWith("Subject:", StringComparison.Ordinal));
        var subjectLines = lines.Skip(start).TakeWhile((l, i) => i == 0 || l.StartsWith(' ')).ToList();
        Assert.All(subjectLines, line => Assert.True(line.Length <= 78, $"a line of {line.Length}: {line}"));
        Assert.All(subjectLines, line => Assert.DoesNotContain(line, c => c > 127));
        var words = System.Text.RegularExpressions.Regex.Matches(string.Join("\n", subjectLines), @"=\?utf-8\?[qb]\?[^?]*\?=").Select(m => m.Value).ToList();
        Assert.All(words, w => Assert.True(w.Length <= 75, $"an encoded-word of {w.Length}: {w}"));
        if (subject.All(c => c < 128) && !subject.Contains("=?", StringComparison.Ordinal) && subject.Split(' ').All(w => w.Length <= 69))
        {
            Assert.Empty(words); // plain ASCII words stay readable
        }

        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(wire));
        Assert.Equal(subject, MimeKit.MimeMessage.Load(stream).Subject);
        Assert.Equal(subject, message.Subject);
    }

    [Fact]
    public void Webhook_IsAlertmanagersVersion4Payload()
    {
        var body = Json(WebhookNotifier.Payload("hook", Note(NotificationKind.Resolved), Context()));
        Assert.Equal("4", body.GetProperty("version").GetString());
        Assert.Equal("resolved", body.GetProperty("status").GetString());
        Assert.Equal("hook", body.GetProperty("receiver").GetString());
        Assert.Equal(0, body.GetProperty("truncatedAlerts").GetInt32());
        Assert.Equal("api", body.GetProperty("groupLabels").GetProperty("service").GetString());
        Assert.Equal("ApiDown", body.GetProperty("commonLabels").GetProperty("alertname").GetString());
        Assert.Equal("https://monitor.example.test", body.GetProperty("externalURL").GetString());
        var alert = body.GetProperty("alerts")[0];
        Assert.Equal("1c780bb4e2bb2e43", alert.GetProperty("fingerprint").GetString());
        Assert.Equal("2026-11-22T09:55:00.000Z", alert.GetProperty("startsAt").GetString());
        Assert.Equal("2026-11-22T10:00:00.000Z", alert.GetProperty("endsAt").GetString());
        var firing = Json(WebhookNotifier.Payload("hook", Note(), Context())).GetProperty("alerts")[0];
        Assert.Equal("0001-01-01T00:00:00Z", firing.GetProperty("endsAt").GetString());
    }

    [Fact]
    public void AlertmanagerPush_FiringEndsAfterFourEvaluations_ResolvedEndsAtResolution()
    {
        var firing = Json(AlertmanagerNotifier.Payload(Note().Alerts, T0, TimeSpan.FromMinutes(4), Context()))[0];
        Assert.Equal("2026-11-22T10:04:00.000Z", firing.GetProperty("endsAt").GetString());
        Assert.Equal("ApiDown", firing.GetProperty("labels").GetProperty("alertname").GetString());
        var resolved = Json(AlertmanagerNotifier.Payload(Note(NotificationKind.Resolved).Alerts, T0.AddMinutes(3), TimeSpan.FromMinutes(4), Context()))[0];
        Assert.Equal("2026-11-22T10:00:00.000Z", resolved.GetProperty("endsAt").GetString());
    }

    [Fact]
    public void AckLinks_AreOnlyThereWithASecret()
    {
        Assert.Null(NotificationText.AckLink(Note().Alerts[0], Context(ackLinks: false)));
        string link = NotificationText.AckLink(Note().Alerts[0], Context())!;
        var check = AckTokens.FromSecret("s3cret").Validate(link[(link.LastIndexOf('/') + 1)..], T0);
        Assert.Equal(AckTokenOutcome.Valid, check.Outcome);
        Assert.Equal("1c780bb4e2bb2e43", check.Fingerprint);
        Assert.Equal(T0 + AckTokens.Lifetime, check.Expires);
        Assert.Equal(Note().Alerts[0].StartsAt.ToUnixTimeSeconds(), check.Episode!.Value.ToUnixTimeSeconds());
        Assert.True(check.IsFor(Note().Alerts[0].StartsAt));
        Assert.False(check.IsFor(Note().Alerts[0].StartsAt.AddMinutes(-30))); // an earlier incident
        Assert.False(check.IsFor(Note().Alerts[0].StartsAt.AddMinutes(30))); // a later one
    }

    /// <summary>A link of the earlier layout (no episode) counts for the episode under way when it was issued, never a later one.</summary>
    [Fact]
    public void AckLinkWithoutEpisode_CountsForTheEpisodeItWasIssuedIn()
    {
        var tokens = AckTokens.FromSecret("s3cret");
        var issued = T0;
        var check = tokens.Validate(tokens.CreateWithoutEpisode("1c780bb4e2bb2e43", issued + AckTokens.Lifetime), T0.AddHours(1));
        Assert.Equal(AckTokenOutcome.Valid, check.Outcome);
        Assert.Null(check.Episode);
        Assert.True(check.IsFor(issued.AddMinutes(-5)));
        Assert.False(check.IsFor(issued.AddMinutes(5))); // fired again after the link was sent
        Assert.Equal(AckTokenOutcome.Malformed, tokens.Validate(tokens.Create("1c780bb4e2bb2e43", T0, T0.AddDays(1))[..^4], T0).Outcome);
    }
}

public class TemplateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static NotifierContext Context() => new(
        new MonitorOptions { SourceFile = "t.yaml", Server = new ServerOptions { ExternalUrl = new Uri("https://monitor.example.test/") } },
        new FakeTimeProvider(T0));

    private static Notification Note(string service) => new()
    {
        Id = "id",
        Receiver = "r",
        GroupKey = "g",
        DedupKey = "d",
        Severity = Severity.P2,
        Kind = NotificationKind.Firing,
        Reason = NotificationReason.First,
        GroupLabels = new Dictionary<string, string> { ["alertname"] = "ApiDown" },
        Alerts =
        [
            new AlertSnapshot
            {
                Fingerprint = "0123456789abcdef",
                Labels = new Dictionary<string, string> { ["alertname"] = "ApiDown", ["service"] = service },
                Annotations = new Dictionary<string, string> { ["summary"] = "down" },
                Status = AlertStatus.Firing,
                StartsAt = T0,
            },
        ],
        CreatedAt = T0,
    };

    [Fact]
    public void SlackTemplates_KeepTheirMarkup_AndEscapeTheAlertsValues()
    {
        var options = new SlackReceiverOptions
        {
            WebhookUrl = new Secret("https://hooks.example.test/x"),
            Title = "{{ .Severity }} {{ .AlertName }} on *{{ .CommonLabels.service }}* ({{ .Firing }} firing)",
            Text = "<{{ .AlertsURL }}|all alerts> {{ $labels.service | toUpper }}",
        };
        var body = JsonDocument.Parse(SlackNotifier.Payload(Note("<!here> *x*"), Context(), options)).RootElement;
        Assert.Equal("P2 ApiDown on *&lt;!here&gt; *\u200Bx*\u200B* (1 firing)", body.GetProperty("text").GetString());
        Assert.Equal("<https://monitor.example.test/api/v1/alerts|all alerts> &LT;!HERE&GT; *\u200BX*\u200B", body.GetProperty("attachments")[0].GetProperty("text").GetString());
    }

    [Fact]
    public void EmailSubjectTemplate_CannotBreakTheHeader()
    {
        var options = new EmailReceiverOptions
        {
            Smtp = new SmtpOptions { Host = "smtp" },
            From = "m@example.test",
            To = ["o@example.test"],
            Subject = "[{{ .Severity }}] {{ .CommonLabels.service }} is {{ .Status }}",
        };
        string message = EmailNotifier.Wire(EmailNotifier.Message(Note("api\r\nBcc: x@example.test"), options, Context()));
        Assert.Contains("Subject: [P2] api Bcc: x@example.test is firing\r\n", message, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\nBcc:", message, StringComparison.Ordinal);
    }

    [Fact]
    public void PagerDutySummaryTemplate_IsUsed()
    {
        var body = JsonDocument.Parse(PagerDutyNotifier.Payload(Note("api"), "key", Context(), "{{ .AlertName }}: {{ .CommonAnnotations.summary }} ({{ .CommonLabels.service }})")).RootElement;
        Assert.Equal("ApiDown: down (api)", body.GetProperty("payload").GetProperty("summary").GetString());
    }

    [Fact]
    public void InvalidTemplate_IsAConfigErrorAtItsValue()
    {
        var result = MonitorConfig.Parse("""
            receivers:
              - name: chat
                slack: { webhook_url: "https://hooks.example.test/x", title: "{{ .Status | shout }}" }
            """, "t.yaml");
        Assert.False(result.Success);
        var error = Assert.Single(result.Errors);
        Assert.Contains("receivers[0].slack.title: invalid template: function \"shout\" not defined", error.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("t.yaml:3:", error.ToString(), StringComparison.Ordinal);
    }
}
