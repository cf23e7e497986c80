using Monitor.Configuration;

namespace Monitor.Delivery.Slack;

/// <summary>The <c>slack</c> section of a receiver.</summary>
internal sealed record SlackReceiverOptions : IReceiverSettings
{
    /// <summary>Incoming webhook URL (it is the credential, so it is a secret).</summary>
    public required Secret WebhookUrl { get; init; }

    /// <summary>Template of the message title. <value>Default: "[P1] FIRING: alertname (group labels)".</value></summary>
    public string? Title { get; init; }

    /// <summary>Template of the message body (mrkdwn). <value>Default: each alert's summary, labels, value, since and links.</value></summary>
    public string? Text { get; init; }

    public static SlackReceiverOptions? Read(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var url = map.Secret("webhook_url", required: true);
        if (url is not null && !(Uri.TryCreate(url.Reveal(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            // The URL is the credential: say what is wrong without echoing it.
            map.Context.Error(map.KeyMark(map.Has("webhook_url") ? "webhook_url" : "webhook_url_file"), $"{map.Field("webhook_url")}: not an absolute http(s) URL");
            url = null;
        }

        string? title = NotificationTemplates.Read(map, "title");
        string? text = NotificationTemplates.Read(map, "text");
        map.Finish();
        return url is null ? null : new SlackReceiverOptions { WebhookUrl = url, Title = title, Text = text };
    }
}
