namespace Monitor.Configuration;

internal sealed record EmailReceiverOptions
{
    public required SmtpOptions Smtp { get; init; }

    public required string From { get; init; }

    public required IReadOnlyList<string> To { get; init; }

    /// <summary>Template of the subject. <value>Default: the title, "[P1] FIRING: alertname (group labels)".</value></summary>
    public string? Subject { get; init; }

    /// <summary>Template of the plain-text part. <value>Default: the title and every alert in full.</value></summary>
    public string? Text { get; init; }
}
