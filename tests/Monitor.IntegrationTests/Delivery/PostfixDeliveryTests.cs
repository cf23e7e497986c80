using System.Text;
using System.Text.RegularExpressions;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Delivery;
using Monitor.Delivery.Email;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;

namespace Monitor.IntegrationTests.Delivery;

/// <summary>
/// Email through a real Debian Postfix started by the test (<see cref="PostfixServer"/>: EHLO required,
/// <c>reject_non_fqdn_helo_hostname</c>, SMTPUTF8, STARTTLS, one recipient refused), which relays what it
/// accepts to an aiosmtpd capture: what Postfix logged and what it passed on are both checked.
/// </summary>
public sealed class PostfixDeliveryTests
{
    private const string From = "Monitor 알림 <monitor@example.org>";

    private static readonly string[] ThreeRecipients = ["José Müller <josé@example.org>", PostfixServer.RefusedRecipient, "Ops Team <ops@example.org>"];

    /// <summary>283 characters of words (some not ASCII), so that the subject is 300 and can be folded at spaces.</summary>
    private static readonly string LongService = string.Concat(Enumerable.Repeat("primär-db-07 ", 22))[..283];

    private static (EmailNotifier Notifier, Notification Note) Build(PostfixServer postfix, string? helo = null)
    {
        var email = new EmailReceiverOptions
        {
            Smtp = new SmtpOptions { Host = "127.0.0.1", Port = postfix.Port, Helo = helo, InsecureSkipVerify = true },
            From = From,
            To = ThreeRecipients,
            Subject = "[{{ .Severity }}] {{ .CommonLabels.alertname }} on {{ .GroupLabels.service }}",
        };
        var options = new MonitorOptions { SourceFile = "t.yaml", Server = new ServerOptions { ExternalUrl = new Uri("https://monitor.example.org/"), AckSecret = new Secret("k") } };
        var context = new NotifierContext(options, TimeProvider.System);
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = "DiskFull", ["service"] = LongService, ["severity"] = "P1" };
        var note = new Notification
        {
            Id = GuidIds.Instance.NewId(),
            Receiver = "email",
            GroupKey = "g",
            DedupKey = "d",
            Severity = Severity.P1,
            Kind = NotificationKind.Firing,
            Reason = NotificationReason.First,
            GroupLabels = new Dictionary<string, string> { ["alertname"] = "DiskFull", ["service"] = LongService },
            Alerts = [new AlertSnapshot { Fingerprint = "0123456789abcdef", Labels = labels, Annotations = new Dictionary<string, string> { ["summary"] = "디스크 95%" }, Status = AlertStatus.Firing, StartsAt = TimeProvider.System.GetUtcNow() }],
            CreatedAt = TimeProvider.System.GetUtcNow(),
        };
        return (new EmailNotifier(email, context), note);
    }

    /// <summary>The EHLO name Monitor chooses by default on a loopback connection.</summary>
    private static string DefaultHelo => SmtpOptions.MachineName() ?? "[127.0.0.1]";

    [Fact]
    public async Task Postfix_AcceptsTheEhlo_RelaysUtf8AddressesAndAFolded300CharacterSubject_BurstOf20OverOneConnection_OneRecipientOfThreeRefused()
    {
        await using var postfix = await PostfixServer.StartAsync();
        var (notifier, note) = Build(postfix);
        var results = new List<DeliveryResult>();
        var ids = new List<string>();
        for (int i = 0; i < 20; i++)
        {
            string id = GuidIds.Instance.NewId();
            ids.Add(id);
            results.Add(await notifier.SendAsync(note with { Id = id }, CancellationToken.None));
        }

        // Every mail was queued by Postfix; the refused recipient is named with Postfix's answer, the others got it.
        Assert.All(results, r => Assert.True(r.Outcome == DeliveryOutcome.Delivered, $"{r.Detail}\n{postfix.Log}"));
        Assert.All(results, r => Assert.Matches(@"^2\.0\.0 Ok: queued as [0-9A-F]+; refused: refused@example\.org \(554 5\.7\.1 <refused@example\.org>: Recipient address rejected: Access denied\)$", r.Detail));
        notifier.Dispose();

        // Postfix's log: one connection (EHLO, STARTTLS, EHLO) carried all 20 messages, 40 of 60 recipients accepted.
        string disconnect = await postfix.WaitLogAsync("disconnect from localhost[127.0.0.1]");
        var smtpd = postfix.SmtpdLog;
        Assert.Single(smtpd, l => l.StartsWith("connect from ", StringComparison.Ordinal));
        Assert.Single(smtpd, l => l.StartsWith("disconnect from ", StringComparison.Ordinal));
        Assert.Contains("ehlo=2 starttls=1 mail=20 rcpt=40/60 data=20", disconnect, StringComparison.Ordinal);
        Assert.Contains(smtpd, l => l.StartsWith("Anonymous TLS connection established from localhost[127.0.0.1]", StringComparison.Ordinal));
        var queued = smtpd.Where(l => l.EndsWith(": client=localhost[127.0.0.1]", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).ToList();
        Assert.Equal(20, queued.Count);
        Assert.Equal(queued, results.Select(r => Regex.Match(r.Detail, "queued as ([0-9A-F]+)").Groups[1].Value));
        var rejects = smtpd.Where(l => l.Contains("reject: RCPT from", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, rejects.Count);
        // Monitor's EHLO name passed reject_non_fqdn_helo_hostname: the only rejection is the refused recipient.
        Assert.All(rejects, l => Assert.Contains($"554 5.7.1 <{PostfixServer.RefusedRecipient}>: Recipient address rejected: Access denied; from=<monitor@example.org> to=<{PostfixServer.RefusedRecipient}> proto=ESMTP helo=<{DefaultHelo}>", l, StringComparison.Ordinal));

        // What Postfix passed on: 20 messages, each to the two accepted recipients, with SMTPUTF8.
        await postfix.WaitRelayedAsync(20);
        var relayed = postfix.Relayed;
        Assert.Equal(20, relayed.Count);
        var subject = $"[P1] DiskFull on {LongService}";
        Assert.Equal(300, subject.Length);
        var seen = new List<string>();
        foreach (var (message, envelope) in relayed)
        {
            Assert.Equal("monitor@example.org", envelope.GetProperty("from").GetString());
            Assert.Equal(["josé@example.org", "ops@example.org"], envelope.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
            Assert.True(envelope.GetProperty("smtputf8").GetBoolean(), "Postfix relayed without SMTPUTF8");
            string headers = message[..message.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
            Assert.All(headers.Split("\r\n"), line => Assert.True(Encoding.UTF8.GetByteCount(line) <= 998, $"a header line of {line.Length} characters"));
            // The subject is folded: several lines, none over 78 characters, and it unfolds to the same 300 characters.
            var subjectLines = SubjectLines(headers);
            Assert.True(subjectLines.Count >= 4, string.Join("\n", subjectLines));
            Assert.All(subjectLines, line => Assert.True(line.Length <= 78, $"subject line of {line.Length}: {line}"));
            Assert.Contains(headers.Split("\r\n"), l => l.StartsWith("Received: from ", StringComparison.Ordinal)); // Postfix's, so this is what it passed on

            using var raw = new MemoryStream(Encoding.UTF8.GetBytes(message));
            var mime = MimeKit.MimeMessage.Load(raw);
            Assert.Equal(subject, mime.Subject);
            var sender = Assert.Single(mime.From.Mailboxes);
            Assert.Equal(("Monitor 알림", "monitor@example.org"), (sender.Name, sender.Address));
            Assert.Equal(
                [("José Müller", "josé@example.org"), ("", PostfixServer.RefusedRecipient), ("Ops Team", "ops@example.org")],
                mime.To.Mailboxes.Select(m => (m.Name ?? "", m.Address)));
            seen.Add(mime.Headers["X-Monitor-Notification-Id"] ?? "");
            Assert.Contains("디스크 95%", mime.TextBody, StringComparison.Ordinal);
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Postfix_RefusesABareEhloName_SoTheRestrictionIsActive()
    {
        await using var postfix = await PostfixServer.StartAsync();
        var (notifier, note) = Build(postfix, helo: "monitor");
        var result = await notifier.SendAsync(note, CancellationToken.None);
        notifier.Dispose();

        // Postfix (smtpd_delay_reject = yes, its default) answers the bare name at RCPT TO: every recipient 504.
        Assert.Equal(DeliveryOutcome.Rejected, result.Outcome);
        Assert.Contains("RCPT TO: every recipient refused", result.Detail, StringComparison.Ordinal);
        Assert.Contains("ops@example.org (504 5.5.2 <monitor>: Helo command rejected: need fully-qualified hostname)", result.Detail, StringComparison.Ordinal);
        string reject = await postfix.WaitLogAsync("Helo command rejected");
        Assert.Contains("NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 504 5.5.2 <monitor>: Helo command rejected: need fully-qualified hostname", reject, StringComparison.Ordinal);
        await postfix.WaitLogAsync("disconnect from localhost[127.0.0.1]");
        Assert.Empty(postfix.Relayed);
    }

    [Fact]
    public async Task TestNotify_ThroughPostfix_PrintsTheRefusedRecipientWithPostfixsAnswer_AndTheOthersGetTheMail()
    {
        await using var postfix = await PostfixServer.StartAsync();
        string dir = Tools.TempDirectory();
        string config = Path.Combine(dir, "monitor.yaml");
        await File.WriteAllTextAsync(config, $$"""
            receivers:
              - name: mail
                email:
                  smtp: { host: 127.0.0.1, port: {{postfix.Port}}, insecure_skip_verify: true }
                  from: "{{From}}"
                  to: [{{string.Join(", ", ThreeRecipients.Select(t => $"\"{t}\""))}}]
            """);
        var (code, output) = await ExternalProcess.RunAsync("dotnet", [Tools.MonitorDll, "test-notify", "--receiver", "mail", "--config", config]);
        Assert.True(code == 0, $"{output}\n{postfix.Log}");
        Assert.Matches(@"receiver mail: delivered: 2\.0\.0 Ok: queued as [0-9A-F]+; refused: refused@example\.org \(554 5\.7\.1 <refused@example\.org>: Recipient address rejected: Access denied\)", output);

        await postfix.WaitRelayedAsync(1);
        var (_, envelope) = Assert.Single(postfix.Relayed);
        Assert.Equal(["josé@example.org", "ops@example.org"], envelope.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>The Subject header's physical lines: its first line and the continuation lines after it.</summary>
    private static List<string> SubjectLines(string headers)
    {
        var lines = headers.Split("\r\n");
        int start = Array.FindIndex(lines, l => l.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase));
        Assert.True(start >= 0, headers);
        return [lines[start], .. lines.Skip(start + 1).TakeWhile(l => l.StartsWith(' ') || l.StartsWith('\t'))];
    }
}
