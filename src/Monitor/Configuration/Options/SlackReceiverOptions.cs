namespace Monitor.Configuration;

internal sealed record SlackReceiverOptions
{
    /// <summary>Incoming webhook URL (it is the credential, so it is a secret).</summary>
    public required Secret WebhookUrl { get; init; }

    /// <summary>Template of the message title. <value>Default: "[P1] FIRING: alertname (group labels)".</value></summary>
    public string? Title { get; init; }

    /// <summary>Template of the message body (mrkdwn). <value>Default: each alert's summary, labels, value, since and links.</value></summary>
    public string? Text { get; init; }
}
