using System.Globalization;
using System.Net;
using System.Text;
using Monitor.Alerting;
using Monitor.Configuration;
using MimeKit;

namespace Monitor.Delivery.Email;

/// <summary>
/// Email over SMTP (MailKit): a multipart/alternative message with a plain-text and an HTML part. Every header
/// value is stripped of CR and LF, so no alert label can add a header, and MimeKit encodes and folds it; every
/// string in the HTML part is HTML-escaped.
/// </summary>
internal sealed class EmailNotifier(EmailReceiverOptions options, NotifierContext context) : INotifier, IDisposable
{
    /// <summary>The <c>email</c> receiver: mail over SMTP.</summary>
    public static readonly NotifierKind Kind = new("email", EmailReceiverOptions.Read, (receiver, services, _) =>
        new EmailNotifier(receiver.SettingsOf<EmailReceiverOptions>(), services.Context));

    private readonly SmtpSender _sender = new(options.Smtp, TimeProvider.System);

    public TimeSpan MinInterval => TimeSpan.Zero;

    public int Concurrency => 2;

    public Task<DeliveryResult> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (notification.Kind == NotificationKind.Acknowledged)
        {
            return Task.FromResult(DeliveryResult.Skipped("acknowledgements are not mailed"));
        }

        return _sender.SendAsync(Message(notification, options, context), cancellationToken);
    }

    public void Dispose() => _sender.Dispose();

    public static MimeMessage Message(Notification n, EmailReceiverOptions options, NotifierContext context)
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

    /// <summary>
    /// A multipart/alternative message; MimeKit encodes and folds the headers (RFC 2047, 78-column lines) and
    /// writes display names and international addresses; the subject is encoded and folded by
    /// <see cref="SubjectHeader"/>, as MimeKit's encoded-words of a long non-ASCII one run past 75 characters.
    /// </summary>
    public static MimeMessage Compose(string from, IReadOnlyList<string> to, string subject, string text, string html, string id, DateTimeOffset date)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.AddRange(to.Select(MailboxAddress.Parse));
        SubjectHeader.Set(message, HeaderValue(subject));
        message.Date = date;
        message.MessageId = $"{id}@monitor";
        message.Headers.Add("X-Monitor-Notification-Id", id);
        // Both parts base64, as before MailKit: no line of an alert's text can look like a header or a dot line.
        var alternative = new Multipart("alternative");
        foreach (var (subtype, body) in new[] { ("plain", text), ("html", html) })
        {
            var part = new TextPart(subtype) { ContentTransferEncoding = ContentEncoding.Base64 };
            part.SetText(Encoding.UTF8, body);
            alternative.Add(part);
        }

        message.Body = alternative;
        return message;
    }

    private static readonly FormatOptions SmtpFormat = CreateSmtpFormat();

    private static FormatOptions CreateSmtpFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }

    /// <summary>The message as it goes on the wire (CRLF line ends, as MailKit sends it).</summary>
    public static string Wire(MimeMessage message)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(SmtpFormat, buffer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A header value on one line: CR and LF (the header-injection characters) become spaces.</summary>
    public static string HeaderValue(string value) =>
        value.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\r', ' ').Replace('\n', ' ').Trim();

    public static string Html(Notification n, NotifierContext context)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        string color = n.Kind == NotificationKind.Resolved ? "#2b8a3e" : n.Severity.Rank switch
        {
            1 => "#c92a2a",
            2 => "#e8590c",
            3 => "#f08c00",
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
