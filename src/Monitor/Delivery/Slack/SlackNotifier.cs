using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Monitor.Alerting;
using Monitor.Configuration;

namespace Monitor.Delivery.Slack;

/// <summary>
/// Slack incoming webhooks: a mrkdwn <c>text</c> fallback and one legacy attachment coloured by severity and
/// state. One message a second per webhook; a 429's Retry-After holds the receiver (see the dispatcher).
/// </summary>
internal sealed class SlackNotifier(SlackReceiverOptions options, HttpClient client, NotifierContext context) : INotifier
{
    /// <summary>The <c>slack</c> receiver: an incoming webhook.</summary>
    public static readonly NotifierKind Kind = new("slack", SlackReceiverOptions.Read, (receiver, services, _) =>
        new SlackNotifier(receiver.SettingsOf<SlackReceiverOptions>(), services.Http, services.Context));

    public TimeSpan MinInterval => TimeSpan.FromSeconds(1);

    public int Concurrency => 1;

    public async Task<DeliveryResult> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, options.WebhookUrl.Reveal()) { Content = new ByteArrayContent(Payload(notification, context, options)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await HttpDelivery.SendAsync(client, request, context.Time, cancellationToken);
    }

    public static string Color(Notification n) => n.Kind switch
    {
        NotificationKind.Resolved => "good",
        NotificationKind.Acknowledged => "#808080",
        _ => n.Severity.Rank switch
        {
            1 => "danger",
            2 => "#e8590c",
            3 => "warning",
            _ => "#439fe0",
        },
    };

    /// <summary>
    /// User text for mrkdwn: &amp;, &lt; and &gt; escaped as Slack requires, and a zero-width space after each of
    /// <c>* _ ~ `</c> so a label value like <c>*bold*</c> shows as typed instead of formatting the message.
    /// </summary>
    public static string Escape(string text)
    {
        var result = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': result.Append("&amp;"); break;
                case '<': result.Append("&lt;"); break;
                case '>': result.Append("&gt;"); break;
                case '*' or '_' or '~' or '`': result.Append(c).Append('\u200B'); break;
                default: result.Append(c); break;
            }
        }

        return result.ToString();
    }

    /// <summary>A link in mrkdwn: the URL escaped and stripped of the characters that end the link syntax.</summary>
    public static string Link(string url, string text) =>
        $"<{url.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "%3C", StringComparison.Ordinal).Replace(">", "%3E", StringComparison.Ordinal).Replace("|", "%7C", StringComparison.Ordinal)}|{Escape(text)}>";

    /// <summary>A report: its title in bold, its body as a preformatted block.</summary>
    public static byte[] ReportPayload(Notification n)
    {
        string report = n.Report ?? "";
        int newline = report.IndexOf('\n', StringComparison.Ordinal);
        string title = newline < 0 ? report : report[..newline];
        string body = newline < 0 ? "" : report[(newline + 1)..].Trim('\n');
        string escaped = body.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal).Replace("```", "'''", StringComparison.Ordinal);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("text", $"*{Escape(title)}*\n```{escaped}```");
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static byte[] Payload(Notification n, NotifierContext context, SlackReceiverOptions? options = null)
    {
        if (n.Kind == NotificationKind.Report)
        {
            return ReportPayload(n);
        }

        string title = options?.Title is { } titleTemplate ? NotificationTemplates.Expand(titleTemplate, n, context, Escape) : Escape(NotificationText.Title(n));
        var body = new StringBuilder();
        if (n.Kind == NotificationKind.Acknowledged)
        {
            body.Append(CultureInfo.InvariantCulture, $"Acknowledged by {Escape(string.Join(", ", NotificationText.Firing(n).Select(a => a.AckedBy).Distinct()))}\n");
        }

        foreach (var a in n.Alerts.Take(20))
        {
            string state = a.Status == AlertStatus.Resolved ? "resolved" : "firing";
            body.Append(CultureInfo.InvariantCulture, $"*{state}* {Escape(NotificationText.Summary(a))}\n");
            if (NotificationText.Description(a) is { } description)
            {
                body.Append(Escape(description)).Append('\n');
            }

            body.Append(string.Join(" ", a.Labels.Select(l => $"{Escape(l.Key)}={Escape(l.Value)}"))).Append('\n');
            body.Append(CultureInfo.InvariantCulture, $"since {NotificationText.Since(a)} · value {NotificationText.Value(a)}");
            if (NotificationText.Runbook(a) is { } runbook)
            {
                body.Append(" · ").Append(Link(runbook, "runbook"));
            }

            if (NotificationText.AckLink(a, context) is { } ack)
            {
                body.Append(" · ").Append(Link(ack, "acknowledge"));
            }

            body.Append('\n');
        }

        if (n.Alerts.Count > 20)
        {
            body.Append(CultureInfo.InvariantCulture, $"… and {n.Alerts.Count - 20} more\n");
        }

        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("text", title);
            w.WriteStartArray("attachments");
            w.WriteStartObject();
            w.WriteString("color", Color(n));
            w.WriteString("fallback", title);
            w.WriteString("title", title);
            w.WriteString("title_link", context.AlertsLink);
            w.WriteString("text", options?.Text is { } textTemplate ? NotificationTemplates.Expand(textTemplate, n, context, Escape) : body.ToString().TrimEnd());
            w.WriteString("footer", "Monitor");
            w.WriteNumber("ts", n.CreatedAt.ToUnixTimeSeconds());
            w.WriteStartArray("mrkdwn_in");
            w.WriteStringValue("text");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
