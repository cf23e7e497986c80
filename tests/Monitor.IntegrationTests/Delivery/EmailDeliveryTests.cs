using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Monitor.Alerting;
using Monitor.Configuration;
using Monitor.Delivery;
using Monitor.IntegrationTests.TestSupport;
using Monitor.Tests.TestSupport;
using Monitor.Delivery.Email;

namespace Monitor.IntegrationTests.Delivery;

/// <summary>Email delivered to a real SMTP server (python3-aiosmtpd under Debian's /usr/bin/python3).</summary>
public sealed class EmailDeliveryTests
{
    private const string Python = "/usr/bin/python3";

    private sealed class SmtpServer : IAsyncDisposable
    {
        private readonly ExternalProcess _process;

        private SmtpServer(ExternalProcess process, string dir, int port)
        {
            _process = process;
            Directory = dir;
            Port = port;
        }

        public string Directory { get; }

        public int Port { get; }

        public static async Task<SmtpServer> StartAsync(string mode, bool strict = false, string password = "pa55 word")
        {
            Tools.Require(Python, "python3");
            var (code, _) = await ExternalProcess.RunAsync(Python, ["-c", "import aiosmtpd"]);
            Assert.True(code == 0, "python3-aiosmtpd is missing: apt-get install python3-aiosmtpd (./test.sh does it)");
            string dir = Tools.TempDirectory();
            using var cert = TargetServer.SelfSigned(TimeSpan.FromDays(30));
            await File.WriteAllTextAsync(Path.Combine(dir, "cert.pem"), cert.ExportCertificatePem());
            await File.WriteAllTextAsync(Path.Combine(dir, "key.pem"), cert.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            string mail = Path.Combine(dir, "mail");
            System.IO.Directory.CreateDirectory(mail);
            int port = FreePort.Get();
            string script = Path.Combine(AppContext.BaseDirectory, "Delivery", "smtp_server.py");
            var process = new ExternalProcess(Python, [script, mode, port.ToString(System.Globalization.CultureInfo.InvariantCulture), Path.Combine(dir, "cert.pem"), Path.Combine(dir, "key.pem"), mail, "monitor", password, strict ? "strict" : "plain"]);
            await Eventually.HoldsAsync(() => Task.FromResult(process.Output.Contains("ready", StringComparison.Ordinal) || process.HasExited), TimeSpan.FromSeconds(20), () => process.Output);
            Assert.False(process.HasExited, process.Output);
            return new SmtpServer(process, mail, port);
        }

        public IReadOnlyList<(string Message, JsonElement Envelope)> Received =>
            [.. System.IO.Directory.GetFiles(Directory, "*.eml").Order().Select(f => (File.ReadAllText(f), JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(f, ".json"))).RootElement))];

        public ValueTask DisposeAsync()
        {
            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static (EmailNotifier Notifier, Notification Note) Build(SmtpServer server, bool implicitTls, string? password = "pa55 word", Func<EmailReceiverOptions, EmailReceiverOptions>? change = null)
    {
        var email = new EmailReceiverOptions
        {
            Smtp = new SmtpOptions { Host = "localhost", Port = server.Port, StartTls = !implicitTls, Tls = implicitTls, Username = "monitor", Password = password is null ? null : new Secret(password), InsecureSkipVerify = true },
            From = "monitor@example.test",
            To = ["ops@example.test", "lead@example.test"],
        };
        email = change?.Invoke(email) ?? email;
        var options = new MonitorOptions { SourceFile = "t.yaml", Server = new ServerOptions { ExternalUrl = new Uri("https://monitor.example.test/"), AckSecret = new Secret("k") } };
        var context = new NotifierContext(options, TimeProvider.System);
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = "DiskFull", ["service"] = "db\r\nBcc: intruder@example.test", ["severity"] = "P1" };
        var note = new Notification
        {
            Id = GuidIds.Instance.NewId(),
            Receiver = "email",
            GroupKey = "g",
            DedupKey = "d",
            Severity = Severity.P1,
            Kind = NotificationKind.Firing,
            Reason = NotificationReason.First,
            GroupLabels = new Dictionary<string, string> { ["alertname"] = "DiskFull", ["service"] = labels["service"] },
            Alerts = [new AlertSnapshot { Fingerprint = "0123456789abcdef", Labels = labels, Annotations = new Dictionary<string, string> { ["summary"] = "디스크 <b>95%</b>\n.\nnot the end" }, Status = AlertStatus.Firing, StartsAt = TimeProvider.System.GetUtcNow() }],
            CreatedAt = TimeProvider.System.GetUtcNow(),
        };
        return (new EmailNotifier(email, context), note);
    }

    [Theory]
    [InlineData("starttls")]
    [InlineData("implicit")]
    public async Task Delivered_OverTls_WithAuth_BothParts_NoInjectedHeader(string mode)
    {
        await using var server = await SmtpServer.StartAsync(mode);
        var (notifier, note) = Build(server, implicitTls: mode == "implicit");
        var result = await notifier.SendAsync(note, CancellationToken.None);
        Assert.True(result.Outcome == DeliveryOutcome.Delivered, result.Detail);

        var (message, envelope) = Assert.Single(server.Received);
        Assert.True(envelope.GetProperty("tls").GetBoolean());
        Assert.Equal("monitor", envelope.GetProperty("auth").GetString());
        Assert.Equal(["ops@example.test", "lead@example.test"], envelope.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
        var parsed = new System.Net.Mail.MailAddress("monitor@example.test");
        Assert.Equal(parsed.Address, envelope.GetProperty("from").GetString());
        string headers = message[..message.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        Assert.DoesNotContain("\nBcc:", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-Monitor-Notification-Id: " + note.Id, headers, StringComparison.Ordinal);
        // Both parts are base64 (no line of an alert's text reaches the wire as is); MimeKit reads them back.
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(message, "Content-Transfer-Encoding: base64\r\n"));
        using var raw = new MemoryStream(Encoding.UTF8.GetBytes(message));
        var mime = MimeKit.MimeMessage.Load(raw);
        var parts = mime.BodyParts.OfType<MimeKit.TextPart>().Select(p => p.Text).ToList();
        Assert.Equal(2, parts.Count);
        Assert.Contains("디스크 <b>95%</b>", parts[0], StringComparison.Ordinal);
        Assert.Contains("\n.\nnot the end", parts[0], StringComparison.Ordinal); // a lone dot survives dot-stuffing
        Assert.Contains("디스크 &lt;b&gt;95%&lt;/b&gt;", parts[1], StringComparison.Ordinal);
        Assert.Contains("https://monitor.example.test/ack/", parts[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongPassword_IsRejected_WithTheServersAnswer()
    {
        await using var server = await SmtpServer.StartAsync("starttls");
        var (notifier, note) = Build(server, implicitTls: false, password: "wrong");
        var result = await notifier.SendAsync(note, CancellationToken.None);
        Assert.Equal(DeliveryOutcome.Rejected, result.Outcome);
        Assert.Contains("AUTH", result.Detail, StringComparison.Ordinal);
        Assert.Contains("535", result.Detail, StringComparison.Ordinal);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task ServerDown_IsRetried()
    {
        var server = await SmtpServer.StartAsync("starttls");
        var (notifier, note) = Build(server, implicitTls: false);
        await server.DisposeAsync();
        var result = await notifier.SendAsync(note, CancellationToken.None);
        Assert.Equal(DeliveryOutcome.Retry, result.Outcome);
    }

    [Fact]
    public async Task StrictServer_FqdnEhlo_InternationalAddresses_RefusedRecipient_LongSubject_BurstOverOneConnection()
    {
        await using var server = await SmtpServer.StartAsync("starttls", strict: true);
        string longService = "db-" + new string('x', 300);
        var (notifier, note) = Build(server, implicitTls: false, change: e => e with
        {
            From = "Monitor 알림 <monitor@example.test>",
            To = ["José Müller <josé@example.test>", "nobody@example.test", "ops@example.test"],
            Subject = "[{{ .Severity }}] {{ .CommonLabels.alertname }} on {{ .GroupLabels.service }}",
        });
        note = note with { GroupLabels = new Dictionary<string, string> { ["alertname"] = "DiskFull", ["service"] = longService } };

        var results = new List<DeliveryResult>();
        for (int i = 0; i < 20; i++)
        {
            results.Add(await notifier.SendAsync(note with { Id = GuidIds.Instance.NewId() }, CancellationToken.None));
        }

        Assert.All(results, r => Assert.True(r.Outcome == DeliveryOutcome.Delivered, r.Detail));
        Assert.All(results, r => Assert.Contains("refused: nobody@example.test (550", r.Detail, StringComparison.Ordinal));
        var received = server.Received;
        Assert.Equal(20, received.Count);

        // One connection for the burst; the EHLO name is a dotted name or an address literal, never "monitor".
        Assert.Single(received.Select(r => r.Envelope.GetProperty("peer").GetString()).Distinct());
        string ehlo = Assert.Single(File.ReadAllLines(Path.Combine(server.Directory, "ehlo.log")).Distinct());
        Assert.True(ehlo.Contains('.', StringComparison.Ordinal) || ehlo.StartsWith('['), ehlo);

        var (message, envelope) = received[0];
        Assert.Equal(["josé@example.test", "ops@example.test"], envelope.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
        Assert.True(envelope.GetProperty("smtputf8").GetBoolean());
        string headers = message[..message.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        Assert.All(headers.Split("\r\n"), line => Assert.True(line.Length <= 998, $"a header line of {line.Length} characters"));
        using var raw = new MemoryStream(Encoding.UTF8.GetBytes(message));
        var mime = MimeKit.MimeMessage.Load(raw);
        Assert.Equal($"[P1] DiskFull on {longService}", mime.Subject);
        Assert.Equal("Monitor 알림", Assert.Single(mime.From.Mailboxes).Name);
        Assert.Contains(mime.To.Mailboxes, m => m.Name == "José Müller" && m.Address == "josé@example.test");
    }

    [Fact]
    public async Task StrictServer_RefusesABareEhloName_AsPostfixWithRejectNonFqdnHeloHostname()
    {
        // What the hand-written client sent ("EHLO monitor") and why its pages never arrived there.
        await using var server = await SmtpServer.StartAsync("starttls", strict: true);
        var (notifier, note) = Build(server, implicitTls: false, change: e => e with { Smtp = e.Smtp with { Helo = "monitor" } });
        var result = await notifier.SendAsync(note, CancellationToken.None);
        // EHLO monitor is answered 504; MailKit then tries HELO, which this server (like one requiring STARTTLS
        // first) answers 530: a 5xx either way, so the page is refused, never delivered.
        Assert.Equal(DeliveryOutcome.Rejected, result.Outcome);
        Assert.Equal(["monitor"], File.ReadAllLines(Path.Combine(server.Directory, "ehlo.log")));
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task XOAuth2_SendsTheSaslStringTheServerChecks_AndAWrongTokenIsRefused()
    {
        await using var server = await SmtpServer.StartAsync("starttls", strict: true, password: "ya29.access-token");
        string tokenFile = Path.Combine(Tools.TempDirectory(), "token");
        await File.WriteAllTextAsync(tokenFile, "ya29.access-token\n");
        var (notifier, note) = Build(server, implicitTls: false, password: null, change: e => e with { Smtp = e.Smtp with { OAuth2TokenFile = tokenFile } });
        var result = await notifier.SendAsync(note, CancellationToken.None);
        Assert.True(result.Outcome == DeliveryOutcome.Delivered, result.Detail);
        Assert.Equal("monitor", Assert.Single(server.Received).Envelope.GetProperty("auth").GetString());

        // The file is read at every connection: a token that went stale there is refused, with the server's answer.
        await File.WriteAllTextAsync(tokenFile, "ya29.expired\n");
        var (second, _) = Build(server, implicitTls: false, password: null, change: e => e with { Smtp = e.Smtp with { OAuth2TokenFile = tokenFile } });
        var refused = await second.SendAsync(note, CancellationToken.None);
        Assert.Equal(DeliveryOutcome.Rejected, refused.Outcome);
        Assert.Contains("AUTH", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryRecipientRefused_IsARefusal_NamingThem()
    {
        await using var server = await SmtpServer.StartAsync("starttls", strict: true);
        var (notifier, note) = Build(server, implicitTls: false, change: e => e with { To = ["nobody@example.test"] });
        var result = await notifier.SendAsync(note, CancellationToken.None);
        Assert.Equal(DeliveryOutcome.Rejected, result.Outcome);
        Assert.Contains("nobody@example.test (550", result.Detail, StringComparison.Ordinal);
        Assert.Empty(server.Received);
    }
}
