using System.Globalization;
using System.Net;
using System.Text;
using Monitor.Alerting;
using Monitor.Configuration;

namespace Monitor.Delivery.Email;

/// <summary>
/// Email over SMTP: a multipart/alternative message with a plain-text and an HTML part. Every header value is
/// stripped of CR and LF and written as an RFC 2047 encoded word when it is not plain ASCII, so no alert label
/// can add a header; every string in the HTML part is HTML-escaped.
/// </summary>
internal sealed class EmailNotifier(EmailReceiverOptions options, NotifierContext context) : INotifier
{
    /// <summary>The <c>email</c> receiver: mail over SMTP.</summary>
    public static readonly NotifierKind Kind = new("email", EmailReceiverOptions.Read, (receiver, services, _) =>
        new EmailNotifier(receiver.SettingsOf<EmailReceiverOptions>(), services.Context));

    public TimeSpan MinInterval => TimeSpan.Zero;

    public int Concurrency => 2;

    public Task<DeliveryResult> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (notification.Kind == NotificationKind.Acknowledged)
        {
            return Task.FromResult(DeliveryResult.Skipped("acknowledgements are not mailed"));
        }

        byte[] message = Message(notification, options, context);
        return SmtpSender.SendAsync(options.Smtp, options.From, options.To, message, cancellationToken);
    }

    public static byte[] Message(Notification n, EmailReceiverOptions options, NotifierContext context)
    {
        if (n.Kind == NotificationKind.Report)
        {
            string report = n.Report ?? "";
            string reportSubject = report.Split('\n', 2)[0];
            return Compose(options.From, options.To, reportSubject, report, $"<!doctype html><html><body><pre style=\"font-family:monospace\">{WebUtility.HtmlEncode(report)}</pre></body></html>", n.Id, n.CreatedAt);
        }

        string subject = options.Subject is { } subjectTemplate ? NotificationTemplates.Expand(subjectTemplate, n, context, HeaderValue) : NotificationText.Title(n);
        string text = options.Text is { } textTemplate ? NotificationTemplates.Expand(textTemplate, n, context, s => s) : NotificationText.PlainBody(n, context);
        return Compose(options.From, options.To, subject, text, Html(n, context), n.Id, n.CreatedAt);
    }

    public static byte[] Compose(string from, IReadOnlyList<string> to, string subject, string text, string html, string id, DateTimeOffset date)
    {
        string boundary = "monitor-" + Guid.NewGuid().ToString("N");
        var mail = new StringBuilder();
        mail.Append("From: ").Append(HeaderValue(from)).Append("\r\n");
        mail.Append("To: ").Append(string.Join(", ", to.Select(HeaderValue))).Append("\r\n");
        mail.Append("Subject: ").Append(EncodeWord(HeaderValue(subject))).Append("\r\n");
        mail.Append("Date: ").Append(date.ToString("r", CultureInfo.InvariantCulture).Replace("GMT", "+0000", StringComparison.Ordinal)).Append("\r\n");
        mail.Append(CultureInfo.InvariantCulture, $"Message-ID: <{id}@monitor>\r\n");
        mail.Append(CultureInfo.InvariantCulture, $"X-Monitor-Notification-Id: {id}\r\n");
        mail.Append("MIME-Version: 1.0\r\n");
        mail.Append(CultureInfo.InvariantCulture, $"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n");
        foreach (var (type, body) in new[] { ("text/plain", text), ("text/html", html) })
        {
            mail.Append(CultureInfo.InvariantCulture, $"--{boundary}\r\nContent-Type: {type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
            mail.Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(body), Base64FormattingOptions.InsertLineBreaks)).Append("\r\n");
        }

        mail.Append(CultureInfo.InvariantCulture, $"--{boundary}--\r\n");
        return Encoding.ASCII.GetBytes(mail.ToString());
    }

    /// <summary>A header value on one line: CR and LF (the header-injection characters) become spaces.</summary>
    public static string HeaderValue(string value) =>
        value.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\r', ' ').Replace('\n', ' ').Trim();

    /// <summary>RFC 2047 B-encoding in 45-byte chunks when the text is not printable ASCII.</summary>
    public static string EncodeWord(string value)
    {
        if (value.All(c => c is >= ' ' and <= '~') && !value.Contains("=?", StringComparison.Ordinal))
        {
            return value;
        }

        var words = new List<string>();
        var bytes = new List<byte>();
        Span<byte> buffer = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            int length = rune.EncodeToUtf8(buffer);
            if (bytes.Count + length > 45)
            {
                words.Add("=?utf-8?B?" + Convert.ToBase64String([.. bytes]) + "?=");
                bytes.Clear();
            }

            bytes.AddRange(buffer[..length].ToArray());
        }

        words.Add("=?utf-8?B?" + Convert.ToBase64String([.. bytes]) + "?=");
        return string.Join("\r\n ", words);
    }

    public static string Html(Notification n, NotifierContext context)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        string color = n.Kind == NotificationKind.Resolved ? "#2b8a3e" : n.Severity switch
        {
            Severity.P1 => "#c92a2a",
            Severity.P2 => "#e8590c",
            Severity.P3 => "#f08c00",
            _ => "#1971c2",
        };
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<!doctype html><html><body style=\"font-family:sans-serif\"><h2 style=\"color:{color}\">{E(NotificationText.Title(n))}</h2>");
        foreach (var a in n.Alerts)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h3>{(a.Status == AlertStatus.Resolved ? "Resolved" : "Firing")}: {E(NotificationText.Summary(a))}</h3>");
            if (NotificationText.Description(a) is { } description)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p>{E(description)}</p>");
            }

            html.Append(CultureInfo.InvariantCulture, $"<p>Since {E(NotificationText.Since(a))} · value {E(NotificationText.Value(a))}</p><table>");
            foreach (var (name, value) in a.Labels)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{E(name)}</code></td><td><code>{E(value)}</code></td></tr>");
            }

            html.Append("</table><p>");
            if (NotificationText.Runbook(a) is { } runbook && Uri.TryCreate(runbook, UriKind.Absolute, out var uri) && (uri.Scheme == "https" || uri.Scheme == "http"))
            {
                html.Append(CultureInfo.InvariantCulture, $"<a href=\"{E(runbook)}\">Runbook</a> ");
            }

            if (NotificationText.AckLink(a, context) is { } ack)
            {
                html.Append(CultureInfo.InvariantCulture, $"<a href=\"{E(ack)}\">Acknowledge</a>");
            }

            html.Append("</p>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{E(context.AlertsLink)}\">All alerts</a></p></body></html>");
        return html.ToString();
    }
}
